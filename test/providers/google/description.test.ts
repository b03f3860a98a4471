import fc from 'fast-check';
import { descriptionFor, stripDeepLink } from '../../../src/providers/calendar/google/event-mapping';

describe('Google description: the connector owns only its block', () => {
  test('any user description (HTML from Google Calendar included) comes back byte for byte', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 60 }), fc.constant('<b>Agenda</b><br><ul><li>one</li></ul>\n\n  trailing  ')),
        fc.option(fc.webUrl(), { nil: null }),
        (user, url) => {
          fc.pre(!user.includes('-- CRM Calendar Connector --'));
          expect(stripDeepLink(descriptionFor(user, url))).toBe(user);
          // The link changes or goes: only the block moves.
          expect(descriptionFor(stripDeepLink(descriptionFor(user, url)), 'https://crm.example/2')).toBe(
            descriptionFor(user, 'https://crm.example/2'),
          );
        },
      ),
    );
  });

  test('an old "— CRM record:" line is the only thing stripped; text the user added after it stays', () => {
    expect(stripDeepLink('Notes\n\n— CRM record: https://crm.example/1\nAdded later in Google')).toBe(
      'Notes\nAdded later in Google',
    );
    expect(stripDeepLink('Notes\n\n— CRM record: https://crm.example/1')).toBe('Notes');
  });
});
