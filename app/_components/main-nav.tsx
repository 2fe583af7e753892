'use client';
import Link from 'next/link';
import { usePathname } from 'next/navigation';

const LINKS = [
  { href: '/', label: 'Overview' },
  { href: '/chart', label: 'Chart' },
  { href: '/markets', label: 'Markets' },
  { href: '/journal', label: 'Journal' },
  { href: '/backtests', label: 'Backtests' },
  { href: '/studies', label: 'Studies' },
  { href: '/strategies', label: 'Strategies' },
  { href: '/what-if', label: 'What-if' },
  { href: '/accounts', label: 'Accounts' },
  { href: '/live', label: 'Live' },
  { href: '/jobs', label: 'Jobs' },
  { href: '/models', label: 'Models' },
  { href: '/admin/users', label: 'Admin' },
] as const;

/** The main navigation; the current section is marked with aria-current. */
export function MainNav() {
  const pathname = usePathname() ?? '/';
  const current = (href: string) => (href === '/' ? pathname === '/' : pathname === href || pathname.startsWith(`${href.replace(/\/users$/, '')}/`) || pathname === href.replace(/\/users$/, ''));
  return (
    <nav className="mainnav" aria-label="Main">
      <ul>
        {LINKS.map((l) => (
          <li key={l.href}>
            <Link href={l.href} aria-current={current(l.href) ? 'page' : undefined}>
              {l.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
