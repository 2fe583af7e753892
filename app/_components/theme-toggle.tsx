'use client';
import { useEffect, useState } from 'react';
import { THEME_COOKIE, type Theme } from './theme';
const NEXT: Record<Theme, Theme> = { system: 'dark', dark: 'light', light: 'system' };

/**
 * Cycles system -> dark -> light. The choice is stored in a cookie (one year) so the server renders
 * `<html data-theme>` with it and the page never flashes the wrong theme; "system" follows
 * `prefers-color-scheme`.
 */
export function ThemeToggle({ initial }: { initial: Theme }) {
  const [theme, setTheme] = useState<Theme>(initial);
  useEffect(() => {
    const html = document.documentElement;
    if (theme === 'system') delete html.dataset.theme;
    else html.dataset.theme = theme;
    document.cookie = `${THEME_COOKIE}=${theme}; path=/; max-age=31536000; samesite=lax`;
  }, [theme]);
  return (
    <button type="button" className="theme-toggle" data-testid="theme-toggle" onClick={() => setTheme(NEXT[theme])} aria-label={`Colour theme: ${theme}. Switch to ${NEXT[theme]}`}>
      Theme: {theme}
    </button>
  );
}
