import { describe, expect, it } from 'vitest';

import {
  PayloadError,
  readAnalysisPayload,
  readComparisonPayload,
  readKnowledgeResponse
} from '../src/payload';
import { analysisPayload, comparisonPayload, knowledgePayload, result } from './fixtures';

function errorOf(read: () => unknown): PayloadError {
  try {
    read();
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadError);
    return error as PayloadError;
  }
  throw new Error('expected a PayloadError');
}

describe('readAnalysisPayload', () => {
  it('reads the result, the findings and the curves', () => {
    const payload = readAnalysisPayload(analysisPayload());
    expect(payload.version).toBe(1);
    expect(payload.result.run_id).toBe('overfitting');
    expect(payload.result.agent_results).toHaveLength(3);
    expect(payload.result.agent_results[0].analysis[0].findings.step_range).toEqual([48, 1200]);
    expect(payload.curves?.series.get('train_loss')?.label).toBe('loss');
    expect(payload.curves?.series.get('val_accuracy')?.epoch).toBeNull();
  });

  it('turns the JSON spellings of NaN and infinities into numbers', () => {
    const data = analysisPayload({
      curves: {
        x: 'step',
        has_epoch: false,
        series: {
          loss: { label: 'loss', step: [0, 1, 2, 3], value: [1, 'NaN', 'Infinity', '-Infinity'] }
        }
      }
    });
    const values = readAnalysisPayload(data).curves!.series.get('loss')!.value;
    expect(values[0]).toBe(1);
    expect(Number.isNaN(values[1])).toBe(true);
    expect(values.slice(2)).toEqual([Infinity, -Infinity]);
  });

  it('accepts a result without curves, and unknown vocabulary from a newer DeepFix', () => {
    const data = analysisPayload({
      curves: null,
      result: result({ status: 'cancelled', extra: 1 })
    });
    const payload = readAnalysisPayload(data);
    expect(payload.curves).toBeNull();
    expect(payload.result.status).toBe('cancelled');
  });

  it('names the path of a wrong field', () => {
    const data = analysisPayload();
    data.result.agent_results[1].analysis[0].findings.severity = 3;
    expect(errorOf(() => readAnalysisPayload(data)).message).toBe(
      'analysis.result.agent_results[1].analysis[0].findings.severity: expected a string, got number 3'
    );
  });

  it('refuses non-finite confidences, bad ranges and curves of unequal lengths', () => {
    const confidence = analysisPayload();
    confidence.result.agent_results[0].analysis[0].findings.confidence = 'high';
    expect(errorOf(() => readAnalysisPayload(confidence)).path).toMatch(/findings\.confidence$/);

    const range = analysisPayload();
    range.result.agent_results[0].analysis[0].findings.step_range = [1, 2, 3];
    expect(errorOf(() => readAnalysisPayload(range)).message).toContain('expected [first, last]');

    const curves = analysisPayload();
    curves.curves.series.val_loss.value.pop();
    expect(errorOf(() => readAnalysisPayload(curves)).message).toContain('differ in length');

    const value = analysisPayload();
    value.curves.series.val_loss.value[3] = 'nan';
    expect(errorOf(() => readAnalysisPayload(value)).path).toBe(
      'analysis.curves.series["val_loss"].value[3]'
    );
  });

  it('refuses what is not an analysis at all', () => {
    expect(errorOf(() => readAnalysisPayload(null)).message).toBe(
      'analysis: expected an object, got null'
    );
    expect(errorOf(() => readAnalysisPayload([])).message).toContain('got an array');
    expect(errorOf(() => readAnalysisPayload({ result: result() })).path).toBe('analysis.version');
    expect(errorOf(() => readAnalysisPayload({ version: 0, result: result() })).message).toContain(
      'positive integer'
    );
  });
});

describe('readComparisonPayload', () => {
  it('reads every run, its parameters and curves', () => {
    const payload = readComparisonPayload(comparisonPayload());
    expect([...payload.results.keys()]).toEqual(['overfitting', 'diverging', 'quickstart']);
    expect(payload.params.get('diverging')).toMatchObject({ batch_size: 32 });
    expect(payload.curves.get('diverging')!.series.get('val_loss')!.value[2]).toBe(Infinity);
    expect(payload.metric).toBe('val_loss');
  });

  it('names the run of a broken result', () => {
    const data = comparisonPayload();
    delete data.results.diverging.run_id;
    expect(errorOf(() => readComparisonPayload(data)).path).toBe(
      'comparison.results["diverging"].run_id'
    );
  });
});

describe('readKnowledgeResponse', () => {
  it('reads the query and the entries with their metadata', () => {
    const response = readKnowledgeResponse(knowledgePayload());
    expect(response.query).toBe('validation loss goes up');
    expect(response.results.map(r => r.id)).toEqual([
      'overfitting-reading-the-curves',
      'prechelt-stopping-criteria'
    ]);
    expect(response.results[0].metadata.domain).toBe('training');
  });

  it('refuses an entry without content', () => {
    const data = knowledgePayload();
    delete data.results[1].content;
    expect(errorOf(() => readKnowledgeResponse(data)).path).toBe('knowledge.results[1].content');
  });
});
