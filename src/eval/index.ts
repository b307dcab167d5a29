// Evaluation: judge-based metrics for generated images and the report writer.
export {
  featureStatistics,
  frechetDistance,
  polynomialMmd,
  kernelInceptionDistance,
  splitHalves,
  splitReal,
  type KidOptions,
  type KidResult,
} from './distribution.js';
export { scoreAttributes, attributeTargets, type AttributeScores, type AttributeAccuracy } from './attributes.js';
export {
  evaluateImages,
  computeRealFeatures,
  checkJudgeMatches,
  referenceSplit,
  type EvaluateImagesOptions,
  type ImageMetrics,
  type DistributionMetrics,
  type RealFeatures,
} from './images.js';
export {
  evaluateTextToImage,
  chooseCaptions,
  DEFAULT_PROTOCOL,
  type TextToImageGenerator,
  type TextToImageProtocol,
  type EvaluateTextToImageOptions,
  type TextToImageEvaluation,
  type CaptionResult,
  type UnknownWordsReport,
  type DrawnCaptions,
} from './text-to-image.js';
export {
  writeReport,
  renderMarkdown,
  metricRows,
  unknownWordsSentence,
  drawnSentence,
  kidSentence,
  EVAL_JSON,
  EVAL_MARKDOWN,
  type ReportContext,
  type MetricRow,
} from './report.js';
