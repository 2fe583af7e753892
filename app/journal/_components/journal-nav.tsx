/** Trades | Decisions switch at the top of the journal pages. */
export function JournalNav({ current }: { current: 'trades' | 'decisions' }) {
  return (
    <nav className="subnav" aria-label="Journal">
      <a href="/journal" aria-current={current === 'trades' ? 'page' : undefined}>Trades</a>
      <a href="/journal/decisions" aria-current={current === 'decisions' ? 'page' : undefined}>Decisions</a>
    </nav>
  );
}
