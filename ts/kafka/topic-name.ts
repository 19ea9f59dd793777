// Kafka's rule for topic names (its Topic.validate): 1 to 249 characters of [a-zA-Z0-9._-], and
// neither "." nor "..". librdkafka does not check it before sending: a name that breaks it was
// retried as TopicMissing for the whole retry budget and then refused as "Local: Unknown topic".
import { rangeError, typeError } from '../validate';

const LEGAL = /^[a-zA-Z0-9._-]{1,249}$/;

/** The last name found legal: a producer sends to few topics, so most checks end here. */
let lastLegal: string | undefined;

/** `topic`, checked; `name` is how errors refer to it. */
export function checkTopicName(name: string, topic: unknown): string {
  if (typeof topic === 'string' && topic === lastLegal) return topic;
  if (typeof topic !== 'string') throw typeError(name, 'a topic name (a string)', topic);
  if (!LEGAL.test(topic) || topic === '.' || topic === '..') {
    throw rangeError(name, `a Kafka topic name: 1 to 249 characters of [a-zA-Z0-9._-], not "." or ".." (${topic.length} characters given)`, topic);
  }
  lastLegal = topic;
  return topic;
}
