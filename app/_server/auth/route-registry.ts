/**
 * Exceptions to "every route goes through the gate", each with what protects it instead.
 * The role-matrix test fails for any route.ts that is neither gate-wrapped nor listed here,
 * and for any page.tsx that neither calls `requireRole` nor is listed in PUBLIC_PAGES.
 */
export const EXTERNALLY_AUTHENTICATED_ROUTES: Record<string, string> = {
  'app/api/inngest/route.ts': "Inngest's request signature (INNGEST_SIGNING_KEY), verified by the inngest serve() handler",
};

export const PUBLIC_PAGES: Record<string, string> = {
  'app/(auth)/login/page.tsx': 'the sign-in form',
  'app/(auth)/setup/page.tsx': 'first-run admin creation; 404 once an admin exists',
};
