/** Team roles, lowest to highest. A role may do everything a lower role may. */
export const Role = { Viewer: 'viewer', Trader: 'trader', Admin: 'admin' } as const;
export type Role = (typeof Role)[keyof typeof Role];

export const ROLES: readonly Role[] = [Role.Viewer, Role.Trader, Role.Admin];

const RANK: Record<Role, number> = { viewer: 0, trader: 1, admin: 2 };

export function isRole(value: unknown): value is Role {
  return typeof value === 'string' && value in RANK;
}

/** True when `have` is `need` or higher. */
export function roleAtLeast(have: Role, need: Role): boolean {
  return RANK[have] >= RANK[need];
}

/** The role just below `role`, or null for viewer (used by the role-matrix test). */
export function roleBelow(role: Role): Role | null {
  const i = ROLES.indexOf(role);
  return i > 0 ? ROLES[i - 1] : null;
}
