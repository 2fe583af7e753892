/** The overview the home page polls: account, metrics, positions, risk state, latest decisions (viewer). */
import { route } from '@/app/_server/auth/gate';

export const dynamic = 'force-dynamic';

export const GET = route({ role: 'viewer' }, async ({ root }) => root.engine.overview());
