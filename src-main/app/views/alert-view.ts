import type { CheckHost } from '../../core/vocab';

/** The fields of a check an alert names: the core's AlertEvent satisfies this as it is. */
export interface AlertCheck {
  id: string;
  host: CheckHost;
  title: string;
  /** One sentence that ends with the next step when the check is not ok. */
  detail: string;
}

/** One event of the alert policy (a check went down, stayed down, recovered), for desktop notifications. */
export interface AlertView {
  kind: 'down' | 'recovered' | 'still-down';
  check: AlertCheck;
  at: string;
}
