'use client';
import { useState } from 'react';
import type { ActionResult } from '@/app/_server/auth/gate';

type TestAnswer = { delivered: boolean; error: string | null };

/** "Send test message" for one channel: reports delivery, or the channel's error (status, never a secret). */
export function TestMessageButton({ channelId, send }: { channelId: string; send: (input: unknown) => Promise<ActionResult<TestAnswer>> }) {
  const [pending, setPending] = useState(false);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  return (
    <div className="test-message">
      <button
        type="button"
        disabled={pending}
        aria-label={`Send test message to ${channelId}`}
        onClick={async () => {
          setPending(true);
          setOutcome(null);
          try {
            const result = await send({ channelId });
            if (!result.ok) setOutcome({ ok: false, text: result.error.message });
            else if (result.data.delivered) setOutcome({ ok: true, text: `Delivered to ${channelId}.` });
            else setOutcome({ ok: false, text: `Not delivered: ${result.data.error ?? 'unknown error'}` });
          } catch (error) {
            setOutcome({ ok: false, text: `Not sent: ${error instanceof Error ? error.message : String(error)}` });
          } finally {
            setPending(false);
          }
        }}
      >
        {pending ? 'Sending…' : 'Send test message'}
      </button>
      {outcome && (
        <p role="status" className={outcome.ok ? undefined : 'error'} data-testid={`test-result-${channelId}`}>
          {outcome.text}
        </p>
      )}
    </div>
  );
}
