import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/** better-auth's endpoints (sign-in, sign-out, session, password change); public by nature, with lockout and rate limits. */
const handler = route({ role: 'public', authenticatedBy: 'better-auth (e-mail + password)' }, ({ root, request }) => root.auth.handleAuthRequest(request));

export const GET = handler;
export const POST = handler;
