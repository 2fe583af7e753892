/**
 * A pre-check of server action request bodies, run at the edge (proxy.ts) before Next.js hands them to
 * React's reply decoder, which answers anything malformed with a 500 (and logs it as a server error).
 * The check accepts exactly what this app's clients send: React's `encodeReply` of plain values and
 * FormData, i.e. a JSON argument list (text body), or multipart form data whose part "0" is that
 * list and whose FormData fields are the `_<n>_<name>` parts a `$K<n>` reference points to. Anything
 * else is a client error: 400 with the reason.
 */

/** Deeper than any input this app takes; far below what would exhaust the decoder's stack. */
export const MAX_DEPTH = 32;
/** Values (objects, arrays, primitives) in one payload. */
export const MAX_VALUES = 20_000;
/** Arguments of one call: every action takes one. */
export const MAX_ARGUMENTS = 4;

/** React's encodings of values JSON cannot hold, all of which decode to plain values. */
const SCALAR_ESCAPE = /^\$(\$|undefined$|NaN$|Infinity$|-Infinity$|-0$|D|n-?\d{1,400}$)/;
/** A FormData reference (`$K1`). */
const FORM_DATA_REFERENCE = /^\$K([0-9a-f]{1,8})$/;

/** Why a value is not acceptable, or null. Walks iteratively: a deep payload cannot exhaust the stack here. */
function checkValue(root: unknown, multipart: boolean): string | null {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  let count = 0;
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (++count > MAX_VALUES) return `more than ${MAX_VALUES} values`;
    if (depth > MAX_DEPTH) return `nested deeper than ${MAX_DEPTH} levels`;
    if (typeof value === 'string') {
      // A FormData reference is fine in a multipart body, even to no fields (a form without inputs sends none).
      if (value.startsWith('$') && !SCALAR_ESCAPE.test(value) && !(multipart && FORM_DATA_REFERENCE.test(value))) {
        return `unsupported reference ${JSON.stringify(value.slice(0, 20))}`;
      }
    } else if (Array.isArray(value)) {
      for (const item of value) stack.push({ value: item, depth: depth + 1 });
    } else if (typeof value === 'object' && value !== null) {
      for (const item of Object.values(value)) stack.push({ value: item, depth: depth + 1 });
    }
  }
  return null;
}

function parseArguments(text: string, multipart: boolean): string | null {
  let args: unknown;
  try {
    args = JSON.parse(text);
  } catch (error) {
    return error instanceof RangeError ? `nested deeper than ${MAX_DEPTH} levels` : 'the argument list is not JSON';
  }
  if (!Array.isArray(args)) return 'the argument list is not an array';
  if (args.length > MAX_ARGUMENTS) return `more than ${MAX_ARGUMENTS} arguments (${args.length})`;
  return checkValue(args, multipart);
}

/** Checks a text (JSON) server action body. @returns why it is refused, or null when it may be decoded. */
export function checkTextActionBody(text: string): string | null {
  return parseArguments(text, false);
}

/**
 * Whether a form posted without JavaScript names a server action (`$ACTION_ID_…`/`$ACTION_REF_…` fields).
 * This app's forms call their actions from client code, never this way, and Next.js answers a malformed
 * one with 500; such posts are refused.
 */
export function isFormActionPost(form: FormData): boolean {
  return [...form.keys()].some((key) => key.startsWith('$ACTION_'));
}

/** Checks a multipart server action body. @returns why it is refused, or null when it may be decoded. */
export function checkFormActionBody(form: FormData): string | null {
  const root = form.get('0');
  if (root === null) return 'part "0" (the argument list) is missing';
  if (typeof root !== 'string') return 'part "0" is a file, not the argument list';
  for (const key of form.keys()) {
    // React writes a FormData argument's fields as `_<n>_<name>` and refers to them as `$K<n>`. Control
    // characters in a part name break Next's multipart parser.
    if (/[\u0000-\u001f\u007f]/.test(key)) return `a part name holds a control character: ${JSON.stringify(key.slice(0, 40))}`;
    if (key !== '0' && !/^_[0-9a-f]{1,8}_/.test(key)) return `unexpected part ${JSON.stringify(key.slice(0, 40))}`;
  }
  return parseArguments(root, true);
}
