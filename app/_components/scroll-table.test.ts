import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { ScrollTable } from './scroll-table';

describe('ScrollTable', () => {
  it('puts the table in a named region a keyboard user can focus, and passes the other props to the table', () => {
    const html = renderToStaticMarkup(createElement(ScrollTable, { label: 'Open orders', 'data-testid': 'orders' } as Parameters<typeof ScrollTable>[0], createElement('tbody', null)));
    expect(html).toBe('<div class="table-wrap" role="region" aria-label="Open orders" tabindex="0"><table data-testid="orders"><tbody></tbody></table></div>');
  });

  it('keeps a wide table at its readable width (the region scrolls instead)', () => {
    const html = renderToStaticMarkup(createElement(ScrollTable, { label: 'Trades', wide: true }, createElement('tbody', null)));
    expect(html).toBe('<div class="table-wrap table-wide" role="region" aria-label="Trades" tabindex="0"><table><tbody></tbody></table></div>');
  });
});
