/** What both classification twins offer; results are category ids (see categories.ts). */
export interface ClassifyTwin {
  /** The category id for a librdkafka code, or -1 when the code says nothing. */
  code(code: number): number;
  text(message: string): number;
  /** One id per message. */
  texts(messages: readonly string[]): ArrayLike<number>;
}
