import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';

export const metadata: Metadata = {
  title: 'Aethelred',
  description: 'Self-hosted trading workstation',
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <header className="topbar">
          <a href="/" className="brand">Aethelred</a>
        </header>
        <main className="content">{children}</main>
      </body>
    </html>
  );
}
