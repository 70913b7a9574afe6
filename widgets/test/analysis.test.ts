import { describe, expect, it } from 'vitest';

import { findingBands, renderAnalysis, severityCounts } from '../src/analysis';
import { readAnalysisPayload } from '../src/payload';
import { analysisPayload, result } from './fixtures';

function render(data = analysisPayload()): HTMLElement {
  const root = renderAnalysis(readAnalysisPayload(data));
  document.body.replaceChildren(root);
  return root;
}

const texts = (root: Element, selector: string): string[] =>
  [...root.querySelectorAll(selector)].map(e => e.textContent ?? '');

describe('renderAnalysis', () => {
  it('shows the run, the status and the findings counted by severity, the plan left out', () => {
    const root = render();
    expect(root.classList.contains('jp-DeepFix')).toBe(true);
    expect(root.querySelector('.jp-DeepFix-title')!.textContent).toBe(
      'DeepFix analysis of overfitting'
    );
    expect(texts(root, '.jp-DeepFix-header .jp-DeepFix-badge')).toEqual([
      'completed',
      '1 high',
      '1 medium',
      '1 low'
    ]);
    expect(root.querySelector('.jp-DeepFix-badge-status-completed')).not.toBeNull();
    expect(root.querySelector('.jp-DeepFix-meta')!.textContent).toBe(
      'backend local \u00b7 176 ms \u00b7 2026-11-24 09:28:01Z \u00b7 request req_0123456789abcdef'
    );
    expect(root.querySelector('.jp-DeepFix-summary')!.textContent).toBe(
      'The run overfits after epoch 15.'
    );
  });

  it("lists the advisor's plan in order, and every other agent's findings once", () => {
    const root = render();
    expect(texts(root, '.jp-DeepFix-step .jp-DeepFix-action')).toEqual([
      'Collect more data.',
      'Stop at about epoch 15 with early stopping.'
    ]);
    expect(texts(root, '.jp-DeepFix-agent')).toEqual([
      'TrainingArtifactsAnalyzer',
      'DatasetArtifactsAnalyzer'
    ]);
    const findings = [...root.querySelectorAll<HTMLElement>('.jp-DeepFix-finding')];
    expect(findings.map(f => f.dataset.code)).toEqual([
      'overfitting',
      'overtraining',
      'small_dataset'
    ]);
    expect(findings.map(f => f.dataset.severity)).toEqual(['medium', 'low', 'high']);
    expect(findings[2].classList.contains('jp-DeepFix-severity-high')).toBe(true);
  });

  it("shows a finding's evidence, metric (as logged), steps and recommendation", () => {
    const root = render();
    const first = root.querySelector('.jp-DeepFix-finding')!;
    const facts = Object.fromEntries(
      [...first.querySelectorAll('dt')].map(dt => [
        dt.textContent,
        dt.nextElementSibling!.textContent
      ])
    );
    expect(facts).toMatchObject({
      Evidence: 'val_loss rose 39% from its minimum at epoch 15.',
      Metric: 'val_loss',
      Steps: '48\u20131,200 (epochs 15\u2013399)',
      Action: 'Stop at about epoch 15 with early stopping.',
      Priority: 'medium',
      Targets: 'early_stopping, regularization',
      Knowledge: 'early-stopping-patience-restore'
    });
    const data = analysisPayload();
    data.result.agent_results[0].analysis[0].findings.metric = 'train_loss';
    const renamed = render(data).querySelector('.jp-DeepFix-finding dd:nth-of-type(2)')!;
    expect(renamed.textContent).toBe('train_loss (logged as loss)');
  });

  it('draws a loss chart and a score chart, with one band per distinct finding range', () => {
    const root = render();
    const charts = [...root.querySelectorAll('.jp-DeepFix-chart')];
    expect(charts.map(c => c.querySelector('svg > text')!.textContent)).toEqual([
      'Loss',
      'Accuracy and scores'
    ]);
    // 0.0101 to 1.29: more than 100x, so the loss chart is logarithmic.
    expect(texts(charts[0], '.jp-DeepFix-key')).toEqual(['loss', 'val_loss', 'log scale']);
    expect(texts(charts[1], '.jp-DeepFix-key')).toEqual(['val_accuracy']);
    expect(charts[0].querySelectorAll('polyline')).toHaveLength(2);
    expect(charts[0].querySelectorAll('.jp-DeepFix-band')).toHaveLength(2);
    expect(root.querySelector('.jp-DeepFix-curves .jp-DeepFix-meta')!.textContent).toContain(
      'lr (100 points shown)'
    );
  });

  it("highlights a finding's band while the finding is open", () => {
    const root = render();
    const finding = root.querySelector<HTMLDetailsElement>(
      '.jp-DeepFix-finding[data-code="overfitting"]'
    )!;
    const active = (): string[] =>
      [...root.querySelectorAll('.jp-DeepFix-band.jp-mod-active')].map(b =>
        b.getAttribute('data-deepfix-band')!
      );
    expect(active()).toEqual([]);
    finding.open = true;
    finding.dispatchEvent(new Event('toggle'));
    expect(active()).toEqual(['overfitting:48-1200', 'overfitting:48-1200']); // on both charts
    finding.open = false;
    finding.dispatchEvent(new Event('toggle'));
    expect(active()).toEqual([]);
  });

  it('filters the findings by severity, agent and code, with counts', () => {
    const root = render();
    const bar = root.querySelector('.jp-DeepFix-findings .jp-DeepFix-filters')!;
    const select = (name: string): HTMLSelectElement =>
      bar.querySelector<HTMLSelectElement>(`select[name="${name}"]`)!;
    const options = (name: string): string[] => texts(select(name), 'option');
    expect(options('severity')).toEqual(['all (3)', 'high (1)', 'medium (1)', 'low (1)']);
    expect(options('agent')).toEqual([
      'all (3)',
      'TrainingArtifactsAnalyzer (2)',
      'DatasetArtifactsAnalyzer (1)'
    ]);
    expect(options('code')).toEqual([
      'all (3)',
      'overfitting (1)',
      'overtraining (1)',
      'small_dataset (1)'
    ]);
    const choose = (name: string, value: string): void => {
      select(name).value = value;
      select(name).dispatchEvent(new Event('change'));
    };
    const shown = (): string[] =>
      [...root.querySelectorAll<HTMLElement>('.jp-DeepFix-finding')]
        .filter(item => !item.hidden)
        .map(item => item.dataset.code!);
    const agents = (): string[] =>
      [...root.querySelectorAll<HTMLElement>('.jp-DeepFix-agent-group')]
        .filter(group => !group.hidden)
        .map(group => group.dataset.agent!);
    const count = (): string => root.querySelector('.jp-DeepFix-shown')!.textContent!;
    const nomatch = root.querySelector<HTMLElement>('.jp-DeepFix-nomatch')!;
    expect([shown(), count(), nomatch.hidden]).toEqual([
      ['overfitting', 'overtraining', 'small_dataset'],
      '3 of 3 shown',
      true
    ]);

    choose('severity', 'high');
    expect([shown(), agents(), count()]).toEqual([
      ['small_dataset'],
      ['DatasetArtifactsAnalyzer'],
      '1 of 3 shown'
    ]);
    choose('agent', 'TrainingArtifactsAnalyzer');
    expect([shown(), agents(), count(), nomatch.hidden]).toEqual([[], [], '0 of 3 shown', false]);
    choose('severity', '*');
    choose('code', 'overtraining');
    expect([shown(), agents(), nomatch.hidden]).toEqual([
      ['overtraining'],
      ['TrainingArtifactsAnalyzer'],
      true
    ]);
    // The charts follow: only the shown finding's band is drawn.
    const bands = (selector: string): string[] =>
      [...root.querySelectorAll(`.jp-DeepFix-chart ${selector}`)]
        .filter(band => !band.classList.contains('jp-mod-hidden'))
        .map(band => band.getAttribute('data-deepfix-band')!);
    expect(bands('.jp-DeepFix-band')).toEqual(['overtraining:36-1200', 'overtraining:36-1200']);
    expect(bands('.jp-DeepFix-band-label')).toHaveLength(2);
    choose('agent', '*');
    choose('code', '*');
    expect(shown()).toHaveLength(3);
    expect(bands('.jp-DeepFix-band')).toHaveLength(4);
  });

  it("keeps an agent's error in view while the agent is chosen, and hides a filtered open band", () => {
    const data = analysisPayload();
    data.result.agent_results[1].error_message = 'deepchecks crashed';
    const root = render(data);
    const severity = root.querySelector<HTMLSelectElement>('select[name="severity"]')!;
    severity.value = 'low';
    severity.dispatchEvent(new Event('change'));
    const dataset = root.querySelector<HTMLElement>(
      '.jp-DeepFix-agent-group[data-agent="DatasetArtifactsAnalyzer"]'
    )!;
    expect(dataset.hidden).toBe(false);
    expect(dataset.querySelector<HTMLElement>('.jp-DeepFix-finding')!.hidden).toBe(true);

    const overfitting = root.querySelector<HTMLDetailsElement>(
      '.jp-DeepFix-finding[data-code="overfitting"]'
    )!;
    overfitting.open = true;
    overfitting.dispatchEvent(new Event('toggle'));
    // Open but filtered out (it is medium): its band is neither highlighted nor drawn.
    expect(root.querySelectorAll('.jp-DeepFix-band.jp-mod-active')).toHaveLength(0);
    severity.value = '*';
    severity.dispatchEvent(new Event('change'));
    expect(root.querySelectorAll('.jp-DeepFix-band.jp-mod-active')).toHaveLength(2);
  });

  it('offers no filters for a single finding, and names findings without a code', () => {
    const one = analysisPayload();
    one.result.agent_results = one.result.agent_results.slice(1);
    const root = render(one);
    expect(root.querySelector('.jp-DeepFix-filters')).toBeNull();
    expect(root.querySelector('.jp-DeepFix-nomatch')).toBeNull();
    const nocode = analysisPayload();
    nocode.result.agent_results[0].analysis[1].findings.code = null;
    const codes = texts(render(nocode), 'select[name="code"] option');
    expect(codes).toEqual(['all (3)', '(no code) (1)', 'overfitting (1)', 'small_dataset (1)']);
  });

  it('says when nothing was found, shows agent errors and warnings, and draws no curves without them', () => {
    const data = analysisPayload({
      curves: null,
      result: result({
        status: 'partial',
        warnings: ['Deepchecks artifacts not found'],
        agent_results: [
          {
            agent_name: 'TrainingArtifactsAnalyzer',
            analysis: [],
            error_message: 'timed out after 60 s'
          },
          { agent_name: 'OptimizationAdvisorAgent', analysis: [], error_message: null }
        ]
      })
    });
    const root = render(data);
    expect(root.querySelector('.jp-DeepFix-curves')).toBeNull();
    expect(texts(root, '.jp-DeepFix-error')).toEqual(['Error: timed out after 60 s']);
    // A partial analysis never reads as healthy: it says what failed and what to do.
    expect(root.textContent).not.toContain('No problems found');
    expect(root.textContent).not.toContain('Nothing to change');
    expect(root.querySelector('.jp-DeepFix-empty')!.textContent).toContain('did not complete');
    const note = root.querySelector('.jp-DeepFix-status-note-partial')!;
    expect(note.getAttribute('role')).toBe('alert');
    expect(note.textContent).toContain('Partial analysis');
    expect(note.textContent).toContain('TrainingArtifactsAnalyzer: timed out after 60 s');
    expect(note.textContent).toContain('What to do');
    expect(texts(root, '.jp-DeepFix-warnings li')).toEqual(['Deepchecks artifacts not found']);
    expect(root.querySelector('.jp-DeepFix-badge-status-partial')).not.toBeNull();
  });

  it('says a failed analysis failed, why, and what to do; a complete clean one is healthy', () => {
    const failed = render(
      analysisPayload({
        curves: null,
        result: result({
          status: 'failed',
          summary: 'Nothing could be analysed: the server is unreachable.',
          warnings: ['DeepFix server at http://127.0.0.1:9 is unreachable'],
          agent_results: []
        })
      })
    );
    expect(failed.textContent).not.toContain('No problems found');
    expect(failed.textContent).not.toContain('0 high'); // zero counts would read as clean
    const note = failed.querySelector('.jp-DeepFix-status-note-failed')!;
    expect(note.textContent).toContain('The analysis failed');
    expect(note.textContent).toContain('http://127.0.0.1:9 is unreachable');
    expect(note.textContent).toContain('%deepfix connect local');
    const clean = render(
      analysisPayload({
        curves: null,
        result: result({
          status: 'completed',
          agent_results: [
            { agent_name: 'TrainingArtifactsAnalyzer', analysis: [], error_message: null }
          ]
        })
      })
    );
    expect(clean.querySelector('.jp-DeepFix-status-note')).toBeNull();
    expect(clean.querySelector('.jp-DeepFix-empty')!.textContent).toBe('No problems found.');
  });

  it('says so when the payload comes from a newer DeepFix', () => {
    expect(
      render(analysisPayload({ version: 2 })).querySelector('.jp-DeepFix-note')!.textContent
    ).toContain('payload version 2');
    expect(render().querySelector('.jp-DeepFix-note')).toBeNull();
  });

  it('opens with the notice when the analysis is not the one asked for', () => {
    const notice = 'Server http://127.0.0.1:9 unreachable; analysed by the embedded engine <b>';
    const root = render(analysisPayload({ notice }));
    const shown = root.querySelector('.jp-DeepFix-notice')!;
    expect(shown.textContent).toBe(`DeepFix: ${notice}`);
    expect(shown.querySelector('b')!.textContent).toBe('DeepFix'); // the text stays text
    expect(root.firstElementChild).toBe(shown);
    expect(render().querySelector('.jp-DeepFix-notice')).toBeNull();
  });
});

describe('helpers', () => {
  it('counts severities without the plan and bands each (code, range) once', () => {
    const payload = readAnalysisPayload(analysisPayload());
    expect(Object.fromEntries(severityCounts(payload.result))).toEqual({
      high: 1,
      medium: 1,
      low: 1
    });
    expect(findingBands(payload.result).map(b => b.key)).toEqual([
      'overfitting:48-1200',
      'overtraining:36-1200'
    ]);
  });

  it('counts a code reported by two agents once, at its worst severity', () => {
    const result = readAnalysisPayload(analysisPayload()).result;
    const [first] = result.agent_results.filter(a => a.analysis.length);
    const copy = structuredClone(first.analysis[0]);
    copy.findings.severity = 'low';
    result.agent_results.push({
      ...first,
      agent_name: 'CrossArtifactIntegrationAgent',
      analysis: [copy]
    });
    expect(Object.fromEntries(severityCounts(result))).toEqual({ high: 1, medium: 1, low: 1 });
  });
});
