'use client';
import { useId, useRef, useState } from 'react';

/**
 * Copies `text` to the clipboard: the async Clipboard API where the page may use it (a secure
 * context), else a hidden textarea and `execCommand('copy')` (plain-http installs on a LAN).
 * @returns whether the text was copied.
 */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // refused (no permission): try the fallback
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.style.position = 'fixed';
  area.style.opacity = '0';
  document.body.appendChild(area);
  area.select();
  try {
    return document.execCommand('copy');
  } catch {
    return false;
  } finally {
    area.remove();
  }
}

/**
 * A value shown once (a temporary password, an API token, a webhook secret): a labelled box with the
 * value selectable in full and a copy button. `secret` adds the warning that it will not be shown again.
 */
export function OneTimeValue({ label, value, testId, secret = true }: { label: string; value: string; testId: string; secret?: boolean }) {
  const id = useId();
  const codeRef = useRef<HTMLElement>(null);
  const [copied, setCopied] = useState<'idle' | 'copied' | 'failed'>('idle');
  return (
    <div className={secret ? 'one-time-secret' : 'one-time-value'} role="group" aria-labelledby={`${id}-label`} data-testid={`${testId}-box`}>
      <div className="one-time-label" id={`${id}-label`}>
        {label}
        {secret && <span className="muted"> — shown once: copy it now</span>}
      </div>
      <div className="one-time-row">
        <code ref={codeRef} data-testid={testId}>
          {value}
        </code>
        <button
          type="button"
          data-testid={`${testId}-copy`}
          aria-label={`Copy ${label.toLowerCase()}`}
          onClick={async () => {
            const ok = await copyText(value);
            if (!ok && codeRef.current) {
              // Nothing could copy: select it so the user can press Ctrl+C.
              const range = document.createRange();
              range.selectNodeContents(codeRef.current);
              window.getSelection()?.removeAllRanges();
              window.getSelection()?.addRange(range);
            }
            setCopied(ok ? 'copied' : 'failed');
          }}
        >
          Copy
        </button>
        <span role="status" className="muted">
          {copied === 'copied' ? 'Copied' : copied === 'failed' ? 'Selected: press Ctrl+C to copy' : ''}
        </span>
      </div>
    </div>
  );
}
