import type { TaskStatsJSON } from "@errand/trpc";

export interface ThroughputChartProps {
  throughput: TaskStatsJSON["throughput"];
  className?: string | undefined;
}

const WIDTH = 600;
const HEIGHT = 140;

/**
 * Tasks finished per minute over the last hour as stacked SVG bars: successful below,
 * failed on top. Each bar carries a tooltip; the whole chart has a text summary.
 */
export function ThroughputChart({ throughput, className = "" }: ThroughputChartProps) {
  const successful = throughput.reduce((sum, p) => sum + p.successful, 0);
  const failed = throughput.reduce((sum, p) => sum + p.failed, 0);
  const peak = Math.max(1, ...throughput.map((p) => p.successful + p.failed));
  const slot = WIDTH / Math.max(1, throughput.length);
  const barWidth = Math.max(1, slot * 0.72);
  const scale = (n: number) => (n / peak) * (HEIGHT - 8);
  const summary = `${successful} successful and ${failed} failed tasks in the last hour; peak ${peak === 1 && successful + failed === 0 ? 0 : peak} per minute.`;
  const first = throughput[0]?.minute;
  const last = throughput[throughput.length - 1]?.minute;
  return (
    <figure data-errand="" className={className}>
      <div className="flex flex-wrap items-baseline justify-between gap-x-4 gap-y-1">
        <figcaption className="text-sm font-medium">Finished per minute, last hour</figcaption>
        <div className="flex items-center gap-3 whitespace-nowrap text-xs text-zinc-500 dark:text-zinc-400">
          <span className="inline-flex items-center gap-1">
            <span aria-hidden="true" className="size-2 rounded-sm bg-emerald-500" /> {successful} successful
          </span>
          <span className="inline-flex items-center gap-1">
            <span aria-hidden="true" className="size-2 rounded-sm bg-rose-500" /> {failed} failed
          </span>
        </div>
      </div>
      <div className="relative mt-3">
        <span className="absolute -top-1 left-0 text-[10px] tabular-nums text-zinc-400">{peak}</span>
        <svg
          role="img"
          aria-label={summary}
          viewBox={`0 0 ${WIDTH} ${HEIGHT}`}
          preserveAspectRatio="none"
          className="h-32 w-full"
        >
          <line
            x1="0"
            y1={HEIGHT - 0.5}
            x2={WIDTH}
            y2={HEIGHT - 0.5}
            className="stroke-zinc-200 dark:stroke-zinc-800"
            strokeWidth="1"
          />
          <line
            x1="0"
            y1={8}
            x2={WIDTH}
            y2={8}
            className="stroke-zinc-100 dark:stroke-zinc-800/60"
            strokeDasharray="4 4"
            strokeWidth="1"
          />
          {throughput.map((point, index) => {
            const x = index * slot + (slot - barWidth) / 2;
            const ok = scale(point.successful);
            const bad = scale(point.failed);
            const time = new Date(point.minute).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" });
            return (
              <g key={point.minute}>
                <title>{`${time}: ${point.successful} successful, ${point.failed} failed`}</title>
                <rect x={index * slot} y={0} width={slot} height={HEIGHT} fill="transparent" />
                {ok > 0 ? (
                  <rect x={x} y={HEIGHT - ok} width={barWidth} height={ok} rx="1.5" className="fill-emerald-500" />
                ) : null}
                {bad > 0 ? (
                  <rect x={x} y={HEIGHT - ok - bad} width={barWidth} height={bad} rx="1.5" className="fill-rose-500" />
                ) : null}
              </g>
            );
          })}
        </svg>
        <div className="mt-1 flex justify-between text-[10px] tabular-nums text-zinc-400">
          <span>
            {first ? new Date(first).toLocaleTimeString(undefined, { hour: "2-digit", minute: "2-digit" }) : ""}
          </span>
          <span>now{last ? "" : ""}</span>
        </div>
      </div>
    </figure>
  );
}
