// What the shell gives every view: a ref for its h1 (focused when the view opens, so screen readers
// announce it) and whether it is the visible view (views stay mounted, hidden, to keep their state).

import type { RefObject } from 'preact';

export interface ViewProps {
  readonly headingRef: RefObject<HTMLHeadingElement | null>;
  readonly active: boolean;
}
