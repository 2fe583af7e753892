import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/**
 * The Inngest endpoint: serves the job functions built by the composition root (GET introspection,
 * PUT sync, POST step calls). Inngest's request signature (INNGEST_SIGNING_KEY) authenticates it.
 * 404 when jobs run in-process, or in a process that does not run jobs (AETHELRED_ROLE web or trader).
 */
const handle = route({ role: 'public', authenticatedBy: 'Inngest request signature (INNGEST_SIGNING_KEY)' }, async ({ root, request }) =>
  root.inngest
    ? root.inngest.handler(request, undefined)
    : Response.json(
        { error: { code: 'not_found', message: root.config.inngest ? `this process (AETHELRED_ROLE=${root.config.role}) does not run jobs; point Inngest at a worker` : 'Inngest is not configured; jobs run in-process' } },
        { status: 404 },
      ),
);

export { handle as GET, handle as POST, handle as PUT };
