import fc from 'fast-check';
import {
  blockEnd,
  blockStart,
  findHtmlBlock,
  htmlBlock,
  setHtmlBlock,
  setTextBlock,
  splitTextBody,
} from '../../src/shared/body-block';

/** Text a user may write: anything without our markers. */
const userText = fc.string({ maxLength: 80 }).filter((s) => !s.includes(blockStart) && !s.includes(blockEnd));
const lines = fc.array(
  fc.string({ minLength: 1, maxLength: 20 }).filter((s) => !s.includes('\n') && !s.includes('--') && s.trim() !== ''),
  { maxLength: 4 },
);

/** Small well-formed HTML fragments of the kinds Outlook bodies hold. */
const htmlFragment = fc
  .array(
    fc.oneof(
      fc.string({ maxLength: 10 }).map((t) => `<p>${t.replace(/[<>&_-]/g, 'x')}</p>`),
      fc.constant('<table border="1"><tr><td>a</td><td>b</td></tr></table>'),
      fc.constant('<img src="cid:image001.png@01DA" alt="logo">'),
      fc.constant('<div style="color:red"><span>hi</span><br></div>'),
    ),
    { maxLength: 5 },
  )
  .map((parts) => parts.join(''));

describe('body block: plain text', () => {
  test('adding then removing the block gives the user text back byte for byte', () => {
    fc.assert(
      fc.property(userText, lines, (u, l) => {
        fc.pre(l.length > 0);
        const withBlock = setTextBlock(u, l);
        expect(splitTextBody(withBlock).lines).toEqual(l.map((x) => x.trim()));
        expect(setTextBlock(withBlock, null)).toBe(u);
      }),
    );
  });

  test('replacing the block keeps the text before and after it byte for byte', () => {
    fc.assert(
      fc.property(userText, userText, lines, lines, (before, after, a, b) => {
        fc.pre(a.length > 0 && b.length > 0);
        const body = `${setTextBlock(before, a)}\n${after}`;
        const replaced = setTextBlock(body, b);
        expect(replaced).toBe(`${setTextBlock(before, b)}\n${after}`);
      }),
    );
  });

  test('a block written before the end marker existed runs to the end of the body', () => {
    const legacy = `Hello\n\n${blockStart}\nOpen in CRM: https://crm.example/1`;
    expect(setTextBlock(legacy, ['Open in CRM: https://crm.example/2'])).toBe(
      `Hello\n\n${blockStart}\nOpen in CRM: https://crm.example/2\n${blockEnd}`,
    );
    expect(setTextBlock(legacy, null)).toBe('Hello');
  });
});

describe('body block: HTML', () => {
  test('inserting, replacing and removing the block never changes a byte outside it', () => {
    fc.assert(
      fc.property(htmlFragment, htmlFragment, lines, lines, (user, tail, a, b) => {
        const doc = `<html><head><meta charset="utf-8"></head><body>${user}</body></html>`;
        const blockA = htmlBlock(a.map((x) => `<p>${x.replace(/[<>&]/g, '')}</p>`));
        const blockB = htmlBlock(b.map((x) => `<p>${x.replace(/[<>&]/g, '')}</p>`));
        const withA = setHtmlBlock(doc, blockA);
        expect(withA).toBe(`<html><head><meta charset="utf-8"></head><body>${user}${blockA}</body></html>`);
        expect(setHtmlBlock(withA, null)).toBe(doc);
        // The user (or Teams) adds content after our block: it stays, byte for byte.
        // A function replacement: a "$$" in the generated tail must stay two dollars.
        const later = withA.replace('</body>', () => `${tail}</body>`);
        expect(setHtmlBlock(later, blockB)).toBe(
          `<html><head><meta charset="utf-8"></head><body>${user}${blockB}${tail}</body></html>`,
        );
      }),
    );
  });

  test('the block is found again after Exchange rewrote its tags and whitespace', () => {
    const html =
      `<html><body><p class="MsoNormal">Mine</p>\r\n<div class="x_block">\r\n<p class="MsoNormal">${blockStart}</p>\r\n` +
      `<p class="MsoNormal">Open in CRM: <a href="https://crm.example/1">x</a></p>\r\n<p class="MsoNormal">${blockEnd}</p>\r\n</div>\r\n<p>After</p></body></html>`;
    const span = findHtmlBlock(html)!;
    expect(html.slice(0, span.start)).toBe('<html><body><p class="MsoNormal">Mine</p>\r\n');
    expect(html.slice(span.end)).toBe('\r\n<p>After</p></body></html>');
  });
});
