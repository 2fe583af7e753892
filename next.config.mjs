/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'onnxruntime-node', 'pino', 'ccxt', 'proper-lockfile', 'jiti'],
  typescript: { ignoreBuildErrors: false },
  // No "X-Powered-By: Next.js". Security headers and the CSP come from proxy.ts.
  poweredByHeader: false,
  // forbidden() answers HTTP 403 with app/forbidden.tsx (requireRole).
  experimental: { authInterrupts: true },
};
export default nextConfig;
