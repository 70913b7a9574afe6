/** Payloads shaped like DeepFix's (`_views.py`), small enough to read in a test. */

export type Json = Record<string, any>;

export function finding(overrides: Json = {}): Json {
  return {
    description: 'Validation loss rises while training loss keeps falling: overfitting.',
    evidence: 'val_loss rose 39% from its minimum at epoch 15.',
    severity: 'medium',
    confidence: 0.95,
    code: 'overfitting',
    metric: 'val_loss',
    step_range: [48, 1200],
    epoch_range: [15.0, 399.0],
    ...overrides
  };
}

export function recommendation(overrides: Json = {}): Json {
  return {
    action: 'Stop at about epoch 15 with early stopping.',
    rationale: 'Past the validation minimum the model memorises the training set.',
    priority: 'medium',
    confidence: 0.9,
    targets: ['early_stopping', 'regularization'],
    knowledge_refs: ['early-stopping-patience-restore'],
    ...overrides
  };
}

export function result(overrides: Json = {}): Json {
  return {
    request_id: 'req_0123456789abcdef',
    run_id: 'overfitting',
    status: 'completed',
    summary: 'The run overfits after epoch 15.',
    agent_results: [
      {
        agent_name: 'TrainingArtifactsAnalyzer',
        analysis: [
          { findings: finding(), recommendations: recommendation() },
          {
            findings: finding({
              code: 'overtraining',
              severity: 'low',
              description: 'Training went on long after the best validation result.',
              step_range: [36, 1200]
            }),
            recommendations: recommendation({ priority: 'low' })
          }
        ],
        analyzed_artifacts: ['training_artifacts/metrics.csv'],
        retrieved_knowledge: [],
        additional_outputs: {},
        error_message: null
      },
      {
        agent_name: 'DatasetArtifactsAnalyzer',
        analysis: [
          {
            findings: finding({
              code: 'small_dataset',
              severity: 'high',
              description: 'The training set is small for the task.',
              metric: null,
              step_range: null,
              epoch_range: null
            }),
            recommendations: recommendation({ priority: 'high', action: 'Collect more data.' })
          }
        ],
        error_message: null
      },
      {
        agent_name: 'OptimizationAdvisorAgent',
        analysis: [
          {
            findings: finding({ code: 'small_dataset', severity: 'high' }),
            recommendations: recommendation({ priority: 'high', action: 'Collect more data.' })
          },
          { findings: finding(), recommendations: recommendation() }
        ],
        error_message: null
      }
    ],
    execution_time: 0.176,
    timestamp: '2026-11-24T09:28:01.123456Z',
    warnings: ['No gradient norm was logged: gradient rules were not checked.'],
    backend: 'local',
    ...overrides
  };
}

/** `n` steps of a falling train loss and a val loss rising after step 40 (curves payload). */
export function curves(n = 100, overrides: Json = {}): Json {
  const step = Array.from({ length: n }, (_, i) => i * 12);
  return {
    x: 'step',
    has_epoch: true,
    series: {
      train_loss: {
        label: 'loss',
        step,
        epoch: step.map(s => s / 3),
        value: step.map((_, i) => 1 / (1 + i))
      },
      val_loss: {
        label: 'val_loss',
        step,
        epoch: step.map(s => s / 3),
        value: step.map((_, i) => 0.7 + Math.abs(i - 40) / 100)
      },
      val_accuracy: {
        label: 'val_accuracy',
        step,
        value: step.map((_, i) => Math.min(0.5 + i / 100, 0.9))
      },
      learning_rate: { label: 'lr', step, value: step.map(() => 0.001) }
    },
    ...overrides
  };
}

export function analysisPayload(overrides: Json = {}): Json {
  return { version: 1, result: result(), curves: curves(), ...overrides };
}

export function comparisonPayload(overrides: Json = {}): Json {
  const diverging = result({
    run_id: 'diverging',
    agent_results: [
      {
        agent_name: 'TrainingArtifactsAnalyzer',
        analysis: [
          {
            findings: finding({ code: 'nan_loss', severity: 'high', step_range: [60, 60] }),
            recommendations: recommendation()
          },
          {
            findings: finding({ code: 'overfitting', severity: 'low' }),
            recommendations: recommendation()
          },
          {
            findings: finding({ code: 'overfitting', severity: 'high' }),
            recommendations: recommendation()
          }
        ],
        error_message: null
      }
    ]
  });
  const step = [0, 10, 20, 30];
  return {
    version: 1,
    metric: 'val_loss',
    align: 'step',
    results: {
      overfitting: result(),
      diverging,
      quickstart: result({ run_id: 'quickstart', agent_results: [], status: 'failed' })
    },
    params: {
      overfitting: { optimizer: { name: 'SGD', lr: 0.001 }, batch_size: 20, seed: 2 },
      diverging: { optimizer: { name: 'SGD', lr: 0.8 }, batch_size: 32, seed: 2 },
      quickstart: { optimizer: { name: 'SGD', lr: 0.02 }, batch_size: 32, seed: 2 }
    },
    curves: {
      overfitting: {
        x: 'step',
        has_epoch: true,
        series: {
          val_loss: { label: 'val_loss', step, epoch: [0, 1, 2, 3], value: [0.9, 0.7, 0.8, 1.0] }
        }
      },
      diverging: {
        x: 'step',
        has_epoch: true,
        series: {
          val_loss: {
            label: 'val_loss',
            step,
            epoch: [0, 1, 2, 3],
            value: [1.1, 'NaN', 'Infinity', 'NaN']
          }
        }
      },
      quickstart: {
        x: 'step',
        has_epoch: false,
        series: { val_loss: { label: 'val_loss', step, value: [0.8, 0.5, 0.4, 0.45] } }
      }
    },
    ...overrides
  };
}

export function knowledgePayload(overrides: Json = {}): Json {
  return {
    query: 'validation loss goes up',
    results: [
      {
        id: 'overfitting-reading-the-curves',
        content: 'Overfitting shows as a training loss that keeps falling.',
        source: 'Goodfellow et al., Deep Learning, 2016',
        confidence: 0.9,
        relevance_score: 1.0,
        metadata: {
          title: 'Recognising overfitting',
          domain: 'training',
          url: 'https://www.deeplearningbook.org/'
        }
      },
      {
        id: 'prechelt-stopping-criteria',
        content: 'Validation curves are noisy.',
        source: 'Prechelt 1998',
        confidence: 0.8,
        relevance_score: 0.61,
        metadata: {}
      }
    ],
    ...overrides
  };
}

/** `%deepfix runs`' JSON as `RunsView.payload()` writes it: three runs, newest first. */
export function runsPayload(): Record<string, unknown> {
  const row = (id: string, name: string, extra: Record<string, unknown>) => ({
    run_id: id.repeat(32),
    run_name: name,
    experiment: 'sweep',
    status: 'FINISHED',
    start: '2026-12-07T21:00:00+00:00',
    start_text: '2026-12-07 21:00',
    duration_s: 187,
    duration_text: '3 min 07 s',
    health: 'val_loss=0.25',
    broken: false,
    params: {},
    ...extra
  });
  return {
    version: 1,
    key_params: ['learning_rate', 'optimizer'],
    runs: [
      row('a', 'baseline', { params: { learning_rate: '0.001', optimizer: 'adam' } }),
      row('b', 'lr-high', {
        status: 'RUNNING',
        start: '2026-12-07T22:00:00+00:00',
        start_text: '2026-12-07 22:00',
        duration_s: null,
        duration_text: 'running',
        health: 'train_loss is nan',
        broken: true,
        params: { learning_rate: '1.0', optimizer: 'sgd' }
      }),
      row('c', 'lr-small', {
        duration_s: 30,
        duration_text: '30 s',
        health: 'val_loss=0.5',
        params: { learning_rate: '5e-5', optimizer: 'adam' }
      })
    ]
  };
}
