import type { Metadata } from 'next';
import type { ReactNode } from 'react';
import './globals.css';
import { UserBar } from './_components/user-bar';
import { cookies } from 'next/headers';
import { MainNav } from './_components/main-nav';
import { QueryProvider } from './_components/query-provider';
import { ThemeToggle } from './_components/theme-toggle';
import { THEME_COOKIE } from './_components/theme';
import { HeaderMenu } from './_components/header-menu';
import { redirectPendingPasswordChange } from './_server/auth/page-gate';

export const metadata: Metadata = {
  title: 'Aethelred',
  description: 'Self-hosted trading workstation',
  // Static files live in the top-level public/ folder.
  icons: { icon: [{ url: '/favicon.ico', sizes: '32x32' }, { url: '/favicon.svg', type: 'image/svg+xml' }] },
};

export default async function RootLayout({ children }: { children: ReactNode }) {
  // Before anything streams: a session on a temporary password gets an HTTP 307 to /change-password.
  await redirectPendingPasswordChange();
  const stored = (await cookies()).get(THEME_COOKIE)?.value;
  const theme = stored === 'light' || stored === 'dark' ? stored : 'system';
  return (
    <html lang="en" data-theme={theme === 'system' ? undefined : theme}>
      <body>
        <a href="#main" className="skip-link">Skip to content</a>
        <header className="topbar">
          <a href="/" className="brand">Aethelred</a>
          <HeaderMenu>
            <MainNav />
            <ThemeToggle initial={theme} />
            <UserBar />
          </HeaderMenu>
        </header>
        <main className="content" id="main" tabIndex={-1}>
          <QueryProvider>{children}</QueryProvider>
        </main>
      </body>
    </html>
  );
}
