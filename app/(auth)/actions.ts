'use server';
/** First-run setup: creates the first admin while none exists (atomically: see `createFirstAdmin`); afterwards it answers 404. */
import { z } from 'zod';
import { action } from '@/app/_server/auth/gate';

export const setupFirstAdmin = action(
  {
    role: 'public',
    authenticatedBy: 'first-run only: refused once an admin exists',
    input: z.object({
      email: z.string().trim().toLowerCase().pipe(z.email()),
      name: z.string().trim().max(100).optional(),
      password: z.string().min(10, 'at least 10 characters').max(128),
    }),
    audit: { action: 'user.setup_admin', target: (i) => i.email },
  },
  async ({ root, input, audit }) => {
    const user = await root.auth.createFirstAdmin({ email: input.email, name: input.name, password: input.password });
    // Done by the person who becomes this admin (not yet signed in: the setup form signs them in next).
    audit({ actor: { id: user.id, email: user.email }, after: { id: user.id, email: user.email, role: user.role } });
    return { email: user.email };
  },
);
