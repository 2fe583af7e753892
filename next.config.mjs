/** @type {import('next').NextConfig} */
const nextConfig = {
  serverExternalPackages: ['@electric-sql/pglite', 'postgres', 'onnxruntime-node', 'pino', 'ccxt'],
  typescript: { ignoreBuildErrors: false },
};
export default nextConfig;
