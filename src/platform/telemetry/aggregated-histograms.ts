import type { Attributes, HrTime } from '@opentelemetry/api';
import { ValueType } from '@opentelemetry/api';
import { hrTime } from '@opentelemetry/core';
import { emptyResource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type CollectionResult, type HistogramMetricData, type MetricProducer } from '@opentelemetry/sdk-metrics';

/** Records one value into a histogram series whose attributes were fixed when the series was made. */
export type RecordValue = (value: number) => void;

/** A histogram whose series are asked for once, by their attributes, and then recorded into without a lookup. */
export interface AggregatedHistogram {
  /** The series of these attributes (made on first use, then the same one): keep it, and call it per value. */
  series(attributes: Attributes): RecordValue;
}

interface Metric {
  readonly scope: string;
  readonly name: string;
  readonly description: string;
  readonly boundaries: readonly number[];
  readonly series: Map<string, Series>;
}

interface Series {
  readonly attributes: Attributes;
  readonly counts: number[];
  sum: number;
  count: number;
  min: number;
  max: number;
}

/**
 * Histograms aggregated here and handed to the app's metric readers as a MetricProducer, for instruments recorded on
 * every request. The SDK's histogram hashes the attribute object of each `record` call (its keys sorted and
 * JSON-encoded: about 800 bytes of garbage and a microsecond of a cheap read, issue 13); here the caller resolves a
 * series once and a record is a bucket search and four additions. Readers see the same cumulative histogram data
 * (buckets, sum, count, min, max) as from the SDK, so /metrics and the OTLP export are unchanged.
 */
export class AggregatedHistograms implements MetricProducer {
  readonly #start: HrTime = hrTime();
  readonly #metrics: Metric[] = [];

  /**
   * A histogram of a scope (as a meter's name, e.g. `seams.http`) with these ascending bucket boundaries, each an
   * inclusive upper bound, as the SDK's explicit bucket boundaries.
   */
  histogram(scope: string, name: string, options: { description: string; boundaries: readonly number[] }): AggregatedHistogram {
    const metric: Metric = { scope, name, description: options.description, boundaries: [...options.boundaries], series: new Map<string, Series>() };
    this.#metrics.push(metric);
    const { boundaries } = metric;
    return {
      series(attributes) {
        const key = JSON.stringify(Object.entries(attributes).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        let series = metric.series.get(key);
        if (!series) {
          series = { attributes: { ...attributes }, counts: new Array<number>(boundaries.length + 1).fill(0), sum: 0, count: 0, min: Infinity, max: -Infinity };
          metric.series.set(key, series);
        }
        const target = series;
        return (value) => {
          let bucket = 0;
          while (bucket < boundaries.length && value > boundaries[bucket]!) bucket += 1;
          target.counts[bucket]! += 1;
          target.sum += value;
          target.count += 1;
          if (value < target.min) target.min = value;
          if (value > target.max) target.max = value;
        };
      },
    };
  }

  collect(): Promise<CollectionResult> {
    const now = hrTime();
    const byScope = new Map<string, HistogramMetricData[]>();
    for (const metric of this.#metrics) {
      let metrics = byScope.get(metric.scope);
      if (!metrics) byScope.set(metric.scope, (metrics = []));
      metrics.push(this.#dataOf(metric, now));
    }
    const scopeMetrics = [...byScope].map(([name, metrics]) => ({ scope: { name }, metrics }));
    return Promise.resolve({ resourceMetrics: { resource: emptyResource(), scopeMetrics }, errors: [] });
  }

  #dataOf(metric: Metric, now: HrTime): HistogramMetricData {
    return {
      descriptor: { name: metric.name, description: metric.description, unit: '', valueType: ValueType.DOUBLE },
      aggregationTemporality: AggregationTemporality.CUMULATIVE,
      dataPointType: DataPointType.HISTOGRAM,
      dataPoints: [...metric.series.values()]
        .filter((series) => series.count > 0)
        .map((series) => ({
          startTime: this.#start,
          endTime: now,
          attributes: series.attributes,
          value: { buckets: { boundaries: [...metric.boundaries], counts: [...series.counts] }, sum: series.sum, count: series.count, min: series.min, max: series.max },
        })),
    };
  }
}
