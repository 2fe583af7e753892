/** Cookie holding the chosen colour theme: `light`, `dark` or `system` (follow prefers-color-scheme). */
export const THEME_COOKIE = 'aethelred-theme';
export type Theme = 'light' | 'dark' | 'system';
