import { readICalUIdTag, storedTagsFor, writtenBackTag } from '../../../src/providers/crm/ical-uid-tag';

describe('iCalUId tag of CRMs without an origin column', () => {
  test.each([
    [null, { iCalUId: null, origin: 'crm' }],
    ['', { iCalUId: null, origin: 'crm' }],
    [42, { iCalUId: null, origin: 'crm' }],
    ['040000008200E00074C5B7101A82E008', { iCalUId: '040000008200E00074C5B7101A82E008', origin: 'calendar' }],
    [writtenBackTag('abc@google.com'), { iCalUId: 'abc@google.com', origin: 'crm' }],
    ['crm-born:', { iCalUId: null, origin: 'crm' }],
  ] as const)('%j reads as %j', (raw, expected) => {
    expect(readICalUIdTag(raw)).toEqual(expected);
  });

  test('a lookup matches both an import’s tag and a written-back one, once per iCalUId', () => {
    expect(storedTagsFor(['a', 'b', 'a'])).toEqual(['a', 'crm-born:a', 'b', 'crm-born:b']);
    expect(readICalUIdTag(writtenBackTag('x')).iCalUId).toBe('x');
  });
});
