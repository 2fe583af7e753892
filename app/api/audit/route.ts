import { z } from 'zod';
import { route } from '@/app/_server/auth/gate';
import { knownParams } from '@/app/_server/known-params';

export const dynamic = 'force-dynamic';

const query = knownParams({
  actorId: z.string().min(1).optional(),
  action: z.string().min(1).optional(),
  fromMs: z.coerce.number().int().nonnegative().optional(),
  toMs: z.coerce.number().int().nonnegative().optional(),
  limit: z.coerce.number().int().min(1).max(1000).optional(),
  cursor: z.string().min(1).optional(),
});

/** The audit log, newest first, paged by cursor; admins only. */
export const GET = route({ role: 'admin', input: query }, ({ root, input }) => root.auth.audit.list(input));
