/**
 * Markdown → Matrix `formatted_body`, as Tuwunel's `notice_markdown` does it (ruma: pulldown-cmark with
 * tables and strikethrough, soft breaks turned into `<br />`, no HTML when the text holds no Markdown,
 * and no `<p>` around a lone inline paragraph). Covers what Tuwunel's admin replies use: paragraphs,
 * headings, block quotes, lists, fenced code, tables, code spans, emphasis, links.
 */

type Block =
  | { kind: 'paragraph'; lines: string[] }
  | { kind: 'heading'; level: number; text: string }
  | { kind: 'code'; lang: string; text: string }
  | { kind: 'quote'; blocks: Block[] }
  | { kind: 'list'; ordered: boolean; start: number; items: string[][] }
  | { kind: 'table'; align: (string | null)[]; head: string[]; rows: string[][] }
  | { kind: 'rule' };

const FENCE = /^ {0,3}(`{3,}|~{3,})[ \t]*([^`\s]*)[^`]*$/;
const HEADING = /^ {0,3}(#{1,6})(?:[ \t]+(.*?))?(?:[ \t]+#+)?[ \t]*$/;
const QUOTE = /^ {0,3}> ?(.*)$/;
const BULLET = /^ {0,3}[-*+][ \t]+(.*)$/;
const ORDERED = /^ {0,3}(\d{1,9})[.)][ \t]+(.*)$/;
const RULE = /^ {0,3}([-*_])(?:[ \t]*\1){2,}[ \t]*$/;
const TABLE_DELIMITER = /^\s*\|?\s*:?-+:?\s*(\|\s*:?-+:?\s*)*\|?\s*$/;

function escapeText(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}

function escapeAttribute(text: string): string {
  return escapeText(text).replaceAll('"', '&quot;');
}

function startsBlock(line: string): boolean {
  const ordered = line.match(ORDERED);
  return (
    FENCE.test(line) ||
    HEADING.test(line) ||
    QUOTE.test(line) ||
    BULLET.test(line) ||
    RULE.test(line) ||
    (ordered !== null && ordered[1] === '1')
  );
}

function splitRow(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split('|')
    .map((cell) => cell.trim());
}

function parseBlocks(lines: string[]): Block[] {
  const blocks: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] ?? '';
    if (line.trim() === '') {
      i++;
      continue;
    }
    const fence = line.match(FENCE);
    if (fence) {
      const marker = fence[1] ?? '```';
      const body: string[] = [];
      i++;
      while (i < lines.length && !(lines[i] ?? '').trim().startsWith(marker)) body.push(lines[i++] ?? '');
      i++;
      blocks.push({ kind: 'code', lang: fence[2] ?? '', text: body.map((l) => `${l}\n`).join('') });
      continue;
    }
    const heading = line.match(HEADING);
    if (heading) {
      blocks.push({ kind: 'heading', level: heading[1]?.length ?? 1, text: heading[2] ?? '' });
      i++;
      continue;
    }
    if (RULE.test(line)) {
      blocks.push({ kind: 'rule' });
      i++;
      continue;
    }
    if (QUOTE.test(line)) {
      const inner: string[] = [];
      while (i < lines.length && QUOTE.test(lines[i] ?? ''))
        inner.push((lines[i++] ?? '').match(QUOTE)?.[1] ?? '');
      blocks.push({ kind: 'quote', blocks: parseBlocks(inner) });
      continue;
    }
    const bullet = BULLET.test(line);
    const ordered = line.match(ORDERED);
    if (bullet || ordered) {
      const items: string[][] = [];
      const itemPattern = bullet ? BULLET : ORDERED;
      while (i < lines.length) {
        const current = lines[i] ?? '';
        const item = current.match(itemPattern);
        if (item) {
          items.push([(bullet ? item[1] : item[2]) ?? '']);
        } else if (current.trim() !== '' && !startsBlock(current)) {
          items[items.length - 1]?.push(current.trim());
        } else break;
        i++;
      }
      blocks.push({ kind: 'list', ordered: !bullet, start: Number(ordered?.[1] ?? 1), items });
      continue;
    }
    const next = lines[i + 1] ?? '';
    if (line.includes('|') && TABLE_DELIMITER.test(next) && next.includes('-')) {
      const align = splitRow(next).map((cell) => {
        const left = cell.startsWith(':');
        const right = cell.endsWith(':');
        return left && right ? 'center' : right ? 'right' : left ? 'left' : null;
      });
      const head = splitRow(line);
      const rows: string[][] = [];
      i += 2;
      while (i < lines.length && (lines[i] ?? '').includes('|') && (lines[i] ?? '').trim() !== '')
        rows.push(splitRow(lines[i++] ?? ''));
      blocks.push({ kind: 'table', align, head, rows });
      continue;
    }
    const paragraph: string[] = [];
    while (
      i < lines.length &&
      (lines[i] ?? '').trim() !== '' &&
      (paragraph.length === 0 || !startsBlock(lines[i] ?? ''))
    )
      paragraph.push(lines[i++] ?? '');
    blocks.push({ kind: 'paragraph', lines: paragraph });
  }
  return blocks;
}

interface Inline {
  html: string;
  /** Whether any Markdown construct (not just text and line breaks) was found. */
  markup: boolean;
}

function renderInline(text: string): Inline {
  let markup = false;
  const codeSpans: string[] = [];
  // Code spans first: nothing inside them is Markdown.
  let work = text.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_m, _ticks: string, code: string) => {
    markup = true;
    const trimmed = code.length > 2 && code.startsWith(' ') && code.endsWith(' ') ? code.slice(1, -1) : code;
    codeSpans.push(`<code>${escapeText(trimmed.replaceAll('\n', ' '))}</code>`);
    return `\uE000${codeSpans.length - 1}\uE000`;
  });
  work = work.replace(/\\([!-/:-@[-`{-~])/g, (_m, c: string) => {
    markup = true;
    codeSpans.push(escapeText(c));
    return `\uE000${codeSpans.length - 1}\uE000`;
  });
  work = escapeText(work);
  const rules: [RegExp, (...groups: string[]) => string][] = [
    [/&lt;(https?:\/\/[^\s&]+)&gt;/g, (url = '') => `<a href="${url}">${url}</a>`],
    [
      /\[([^\]]+)\]\(([^)\s]+)\)/g,
      (label = '', url = '') => `<a href="${url.replaceAll('"', '&quot;')}">${label}</a>`,
    ],
    [/\*\*(?=\S)([\s\S]*?\S)\*\*/g, (inner = '') => `<strong>${inner}</strong>`],
    [/__(?=\S)([\s\S]*?\S)__/g, (inner = '') => `<strong>${inner}</strong>`],
    [/~~(?=\S)([\s\S]*?\S)~~/g, (inner = '') => `<del>${inner}</del>`],
    [/\*(?=\S)([\s\S]*?\S)\*/g, (inner = '') => `<em>${inner}</em>`],
    [/(^|[^\w])_(?=\S)([\s\S]*?\S)_(?!\w)/g, (before = '', inner = '') => `${before}<em>${inner}</em>`],
  ];
  for (const [pattern, replace] of rules) {
    work = work.replace(pattern, (...args: unknown[]) => {
      markup = true;
      return replace(...(args.slice(1, -2) as string[]));
    });
  }
  // Two trailing spaces or a backslash make a hard break; ruma turns the soft ones into breaks as well.
  const html = work
    .replace(/(?: {2,}|\\)\n/g, () => {
      markup = true;
      return '\n';
    })
    .replaceAll('\n', '<br />\n')
    .replace(/\uE000(\d+)\uE000/g, (_m, n: string) => codeSpans[Number(n)] ?? '');
  return { html, markup };
}

function renderBlocks(blocks: Block[], tight = false): string {
  return blocks
    .map((block) => {
      switch (block.kind) {
        case 'paragraph': {
          const inner = renderInline(block.lines.map((l) => l.trim()).join('\n')).html;
          return tight ? inner : `<p>${inner}</p>\n`;
        }
        case 'heading':
          return `<h${block.level}>${renderInline(block.text).html}</h${block.level}>\n`;
        case 'code':
          return `<pre><code${block.lang ? ` class="language-${escapeAttribute(block.lang)}"` : ''}>${escapeText(block.text)}</code></pre>\n`;
        case 'quote':
          return `<blockquote>\n${renderBlocks(block.blocks)}</blockquote>\n`;
        case 'rule':
          return '<hr />\n';
        case 'list': {
          const tag = block.ordered ? 'ol' : 'ul';
          const start = block.ordered && block.start !== 1 ? ` start="${block.start}"` : '';
          const items = block.items
            .map((item) => `<li>${renderBlocks(parseBlocks(item), true)}</li>\n`)
            .join('');
          return `<${tag}${start}>\n${items}</${tag}>\n`;
        }
        case 'table': {
          const cell = (tag: string, text: string, col: number) => {
            const align = block.align[col];
            return `<${tag}${align ? ` style="text-align: ${align}"` : ''}>${renderInline(text).html}</${tag}>`;
          };
          const head = `<thead><tr>${block.head.map((c, n) => cell('th', c, n)).join('')}</tr></thead>`;
          const rows = block.rows
            .map((row) => `<tr>${block.head.map((_h, n) => cell('td', row[n] ?? '', n)).join('')}</tr>\n`)
            .join('');
          return `<table>${head}<tbody>\n${rows}</tbody></table>\n`;
        }
      }
      return '';
    })
    .join('');
}

/** The HTML ruma's `FormattedBody::markdown` would produce for `text`, or undefined when it holds no Markdown. */
export function markdownToHtml(text: string): string | undefined {
  const blocks = parseBlocks(text.split(/\r?\n/));
  const only = blocks.length === 1 ? blocks[0] : undefined;
  if (only?.kind === 'paragraph') {
    const joined = only.lines.join('\n');
    const inline = renderInline(only.lines.map((l) => l.trim()).join('\n'));
    // Plain text (nothing but words and line breaks, nothing dropped) stays without HTML, as in ruma.
    if (!inline.markup && joined === text) return undefined;
    return inline.html;
  }
  return renderBlocks(blocks);
}
