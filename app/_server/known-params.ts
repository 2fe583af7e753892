/**
 * Query-string schemas that refuse what they do not know. A list endpoint that silently ignores
 * `page=-1` or a typo such as `limt=10` answers something other than what was asked for; here each
 * unknown parameter is an error on that parameter (the gate turns it into a 400 naming it), and
 * offset-paging names get a hint that these lists page with cursors. Parameters starting with `_`
 * belong to the framework (Next.js adds `_rsc`) and pass. Unknown parameters are dropped from the
 * parsed value.
 */
import { z } from 'zod';

/** Names that ask for offset paging, which the cursor-paged lists do not have. */
const OFFSET_PAGING = new Set(['page', 'offset', 'pageSize', 'page_size', 'per_page', 'perPage', 'size', 'skip']);

export const OFFSET_PAGING_MESSAGE =
  "not a parameter here: pages are keyset cursors (pass the previous answer's nextCursor as cursor; limit sets the page size)";

/** `shape` as an object schema that adds an issue per unknown parameter, then runs `refine` on the parsed value. */
export function knownParams<Shape extends z.ZodRawShape>(shape: Shape, refine?: (value: z.infer<z.ZodObject<Shape>>, ctx: z.RefinementCtx) => void) {
  const known = new Set(Object.keys(shape));
  return z
    .looseObject(shape)
    .superRefine((value, ctx) => {
      for (const key of Object.keys(value)) {
        if (known.has(key) || key.startsWith('_')) continue;
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: OFFSET_PAGING.has(key) ? OFFSET_PAGING_MESSAGE : known.size === 0 ? 'not a parameter here; this takes no query parameters' : `not a parameter here; expected one of ${[...known].join(', ')}`,
        });
      }
      refine?.(value as z.infer<z.ZodObject<Shape>>, ctx);
    })
    .transform((value) => Object.fromEntries(Object.entries(value).filter(([key]) => known.has(key))) as z.infer<z.ZodObject<Shape>>);
}
