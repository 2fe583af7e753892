import { randomUUID } from 'node:crypto';
import { route } from '@/app/_server/auth/gate';
import { receiveWebhook } from '@/app/_server/auth/webhook-receiver';

export const dynamic = 'force-dynamic';

/** Inbound webhook: authenticated by its HMAC signature, not by a session; see README "Users, roles and webhooks". */
export const POST = route({ role: 'public', authenticatedBy: 'HMAC-SHA256 signature (X-Aethelred-Signature)' }, ({ root, request, params }) =>
  receiveWebhook(
    {
      webhooks: root.auth.webhooks,
      secretBox: root.auth.secretBox,
      submitSignal: (signal) => root.engine.submitExternalSignal(signal),
      enqueue: (job) => root.engine.enqueue(job),
      nowMs: () => Date.now(),
      newId: () => randomUUID(),
      logger: root.logger,
    },
    params.id,
    request,
  ),
);
