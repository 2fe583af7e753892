/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'onnxruntime-node', 'pino', 'ccxt', 'proper-lockfile'],
  typescript: { ignoreBuildErrors: false },
};
export default nextConfig;
