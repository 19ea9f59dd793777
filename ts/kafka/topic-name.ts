// Kafka's rule for topic names (its Topic.validate): 1 to 249 characters of [a-zA-Z0-9._-], and
// neither "." nor "..". librdkafka does not check it before sending: a name that breaks it was
// retried as TopicMissing for the whole retry budget and then refused as "Local: Unknown topic".
import { rangeError, typeError } from '../validate';

const LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;

/** The last name found legal: a producer sends to few topics, so most checks end here. */
let lastLegal: string | undefined;

/**
 * `topic`, checked; `name` is how errors refer to it, or with `field`, `${name}.${field}` (made only
 * for an error: a send checks its topic on every call, and a name built each time was garbage).
 */
export function checkTopicName(name: string, topic: unknown, field?: string): string {
  if (typeof topic === 'string' && topic === lastLegal) return topic;
  const named = field === undefined ? name : `${name}.${field}`;
  if (typeof topic !== 'string') throw typeError(named, 'a topic name (a string)', topic);
  if (!LEGAL.test(topic) || topic === '.' || topic === '..') {
    throw rangeError(named, `a Kafka topic name: 1 to 249 characters of [a-zA-Z0-9._-], not "." or ".." (${topic.length} characters given)`, topic);
  }
  lastLegal = topic;
  return topic;
}
