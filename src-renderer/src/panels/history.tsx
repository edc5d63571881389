import { useEffect } from 'react';
import { HISTORY_RANGES } from '../../../src-main/core/vocab';
import type {
  AvailabilityRow,
  HistoryRange,
  HistorySummary,
  StatusSnapshot,
  IncidentTimeline as Timeline,
} from '../../../src-main/ipc/contract';
import { ErrorText } from '../components/error-text';
import { Sparkline } from '../components/sparkline';
import { UptimeBars } from '../components/uptime-bars';
import { Words } from '../components/words';
import { clockTime, dateTime } from '../lib/format';
import {
  incidentEvents,
  incidentHeadline,
  percent,
  position,
  RANGE_TEXT,
  responseTime,
  sparkGeometry,
} from '../lib/history-model';
import { useNow } from '../lib/use-now';
import { INCIDENT_DAYS } from '../store/history-slice';
import { useApp } from '../store/store';

const DAY_MS = 86_400_000;

function RangeSwitch() {
  const range = useApp((s) => s.historyRange);
  const setRange = useApp((s) => s.setHistoryRange);
  return (
    <fieldset className="segmented">
      <legend className="sr-only">Time range</legend>
      {HISTORY_RANGES.map((r) => (
        <button key={r} type="button" aria-pressed={r === range} onClick={() => setRange(r)}>
          {RANGE_TEXT[r].label}
        </button>
      ))}
    </fieldset>
  );
}

function ServerUptime({ history, serverName }: { history: HistorySummary; serverName: string }) {
  const range = history.range;
  const observed = history.server?.observed[range] ?? null;
  return (
    <div className="uptime-server" data-testid="history-server">
      <p className="uptime-figure">
        <strong data-testid="history-availability">
          {percent(history.server?.availability[range] ?? null)}
        </strong>{' '}
        available over the last {RANGE_TEXT[range].span}
        {observed !== null && observed < 0.995 && (
          <span className="muted"> · watched {percent(observed)} of it; the rest is shown as gaps</span>
        )}
      </p>
      <UptimeBars bars={history.bars.bars} range={range} label={`Uptime of ${serverName}`} />
      <div className="axis muted small" aria-hidden="true">
        <span>{RANGE_TEXT[range].span} ago</span>
        <span>now</span>
      </div>
    </div>
  );
}

/** The checks that measure a response time (SSH hosts, HTTP endpoints) and still exist, in the dashboard's order. */
function ResponseTimes({ history, status }: { history: HistorySummary; status: StatusSnapshot }) {
  const rows = history.sparklines
    .map((s) => ({
      spark: s,
      check: status.checks.find((c) => c.id === s.check),
      row: history.checks.find((c) => c.check === s.check),
    }))
    .filter(
      (
        r,
      ): r is {
        spark: typeof r.spark;
        check: NonNullable<typeof r.check>;
        row: AvailabilityRow | undefined;
      } => r.check !== undefined,
    );
  if (rows.length === 0) return null;
  return (
    <table className="response-times">
      <caption className="sr-only">Response times and availability per check</caption>
      <thead>
        <tr>
          <th scope="col" className="col-head">
            Check
          </th>
          <th scope="col" className="col-head">
            Response time
          </th>
          <th scope="col" className="num col-head">
            Last
          </th>
          <th scope="col" className="num col-head">
            Available
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(({ spark, check, row }) => {
          const last = sparkGeometry(spark.points, 1, 1).lastMs;
          return (
            <tr key={spark.check} data-testid={`history-row-${spark.check}`}>
              <th scope="row">{check.title}</th>
              <td>
                <Sparkline data={spark} label={`Response time of ${check.title}`} />
              </td>
              <td className="num mono">{last === null ? '–' : responseTime(last)}</td>
              <td className="num mono">{percent(row?.availability[history.range] ?? null)}</td>
            </tr>
          );
        })}
      </tbody>
    </table>
  );
}

/** A lane per check that had incidents: red while it was down, ticks for the actions, gaps where nobody looked. */
function IncidentStrip({ timeline, from, to }: { timeline: Timeline; from: number; to: number }) {
  const lanes = [...new Map(timeline.incidents.map((i) => [i.check, i.title])).entries()];
  const x = (iso: string) => Math.round(position(iso, from, to) * 10_000) / 10;
  return (
    <div className="incident-strip" aria-hidden="true">
      {lanes.map(([check, title]) => (
        <div key={check} className="incident-lane">
          <span className="incident-lane-title">{title}</span>
          <svg viewBox="0 0 1000 12" preserveAspectRatio="none" aria-hidden="true">
            <rect className="lane" x={0} y={0} width={1000} height={12} />
            {timeline.gaps.map((g) => (
              <rect
                key={g.from}
                className="lane-gap"
                x={x(g.from)}
                y={0}
                width={Math.max(1, x(g.to) - x(g.from))}
                height={12}
              />
            ))}
            {timeline.incidents
              .filter((i) => i.check === check)
              .map((i) => {
                const end = i.endedAt ?? new Date(to).toISOString();
                return (
                  <g key={i.startedAt}>
                    <rect
                      className={i.endedAt ? 'lane-down' : 'lane-down lane-ongoing'}
                      x={x(i.startedAt)}
                      y={1}
                      width={Math.max(3, x(end) - x(i.startedAt))}
                      height={10}
                    />
                    {i.actions.map((a) => (
                      <rect
                        key={a.at}
                        className="lane-action"
                        x={x(a.at) - 1}
                        y={0}
                        width={2.5}
                        height={12}
                      />
                    ))}
                  </g>
                );
              })}
          </svg>
        </div>
      ))}
    </div>
  );
}

/** Down → what was done → recovered, for each incident of the range, newest first. */
export function IncidentTimeline({ timeline, range }: { timeline: Timeline; range: HistoryRange }) {
  const catalog = useApp((s) => s.catalog);
  const now = useNow(30_000);
  const days = INCIDENT_DAYS[range];
  const title = (id: string) => catalog?.find((a) => a.id === id)?.title ?? id;
  return (
    <section className="incidents" aria-labelledby="incidents-title" data-testid="incidents">
      <h3 id="incidents-title">Incidents, last {days === 1 ? '24 hours' : `${days} days`}</h3>
      {timeline.incidents.length === 0 ? (
        <p className="muted">No check went down in this time.</p>
      ) : (
        <>
          <IncidentStrip timeline={timeline} from={now - days * DAY_MS} to={now} />
          <ol className="incident-list">
            {timeline.incidents.map((i) => (
              <li
                key={`${i.check} ${i.startedAt}`}
                className={i.endedAt ? 'incident' : 'incident incident-ongoing'}
                data-testid={`incident-${i.check}`}
              >
                <p className="incident-head">
                  <strong className="incident-title">{i.title}</strong> <span>{incidentHeadline(i)}</span>{' '}
                  <span className="muted small">{dateTime(i.startedAt)}</span>
                </p>
                <ol className="incident-events">
                  {incidentEvents(i, timeline.gaps, title, now).map((e) => (
                    <li key={`${e.kind} ${e.at} ${e.text}`} className={`incident-event event-${e.kind}`}>
                      <span className="mono small">{clockTime(e.at)}</span>{' '}
                      {e.outcome && e.outcome !== 'ok' && <span className="tag">{e.outcome}</span>}{' '}
                      <Words text={e.text} />
                    </li>
                  ))}
                </ol>
              </li>
            ))}
          </ol>
        </>
      )}
    </section>
  );
}

/**
 * The dashboard's history: the server's uptime strip (Uptime Kuma style) and availability, the response times of
 * the checks that measure one, and the incidents with what was done about them. Loaded after each poll; it never
 * holds up the checks above it.
 */
export function HistorySection({ status }: { status: StatusSnapshot }) {
  const history = useApp((s) => s.history);
  const incidents = useApp((s) => s.incidents);
  const error = useApp((s) => s.historyError);
  const load = useApp((s) => s.loadHistory);
  const range = useApp((s) => s.historyRange);
  // Another server's charts are not shown under this one's name while its own load answers.
  const ofShown = useApp((s) => s.historyOf) === status.profileId;

  // biome-ignore lint/correctness/useExhaustiveDependencies: a new poll (or another profile) is new history
  useEffect(() => {
    void load();
  }, [load, status.lastRefresh, status.profileId]);

  const current = ofShown && history?.range === range ? history : null;
  return (
    <section className="history card" aria-labelledby="history-title" data-testid="history">
      <div className="history-head">
        <h2 id="history-title">Uptime and response times</h2>
        <RangeSwitch />
      </div>
      {ofShown && error && !current ? (
        <ErrorText error={error} />
      ) : !current ? (
        <p className="muted" role="status">
          Reading the history…
        </p>
      ) : (
        <>
          <ServerUptime history={current} serverName={status.serverName} />
          <ResponseTimes history={current} status={status} />
          {incidents && <IncidentTimeline timeline={incidents} range={range} />}
          {error && <ErrorText error={error} />}
        </>
      )}
    </section>
  );
}
