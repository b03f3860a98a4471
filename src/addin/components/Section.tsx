import type { ReactNode } from 'react';
import { makeStyles, tokens, Subtitle2 } from '@fluentui/react-components';

const useStyles = makeStyles({
  section: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
  body: { display: 'flex', flexDirection: 'column', gap: tokens.spacingVerticalS },
});

/** A titled block of a view. */
export function Section({ title, children }: { title: string; children: ReactNode }) {
  const s = useStyles();
  return (
    <section className={s.section} aria-label={title}>
      <Subtitle2 as="h3">{title}</Subtitle2>
      <div className={s.body}>{children}</div>
    </section>
  );
}
