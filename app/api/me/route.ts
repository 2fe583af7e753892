import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

/** Who the caller is (session or API token) and with which effective role. */
export const GET = route({ role: 'viewer' }, async ({ actor }) => ({ userId: actor!.userId, email: actor!.email, role: actor!.role, via: actor!.kind }));
