//! The classification domain: categories with their stable ids and retry rule, the librdkafka
//! code table, and the text patterns in the order that decides between matches.

/// Categories, with stable numeric ids shared with the TS twin.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(u8)]
pub enum Category {
    Unknown = 0,
    TopicMissing = 1,
    Network = 2,
    Authentication = 3,
    Configuration = 4,
    Timeout = 5,
    Throttled = 6,
    QueueFull = 7,
    InvalidRequest = 8,
}

pub const CATEGORY_COUNT: usize = 9;

impl Category {
    pub const ALL: [Category; CATEGORY_COUNT] = [
        Category::Unknown,
        Category::TopicMissing,
        Category::Network,
        Category::Authentication,
        Category::Configuration,
        Category::Timeout,
        Category::Throttled,
        Category::QueueFull,
        Category::InvalidRequest,
    ];

    pub fn from_id(id: u8) -> Option<Category> {
        Category::ALL.get(usize::from(id)).copied()
    }

    pub fn name(self) -> &'static str {
        match self {
            Category::Unknown => "Unknown",
            Category::TopicMissing => "TopicMissing",
            Category::Network => "Network",
            Category::Authentication => "Authentication",
            Category::Configuration => "Configuration",
            Category::Timeout => "Timeout",
            Category::Throttled => "Throttled",
            Category::QueueFull => "QueueFull",
            Category::InvalidRequest => "InvalidRequest",
        }
    }

    /// Worth retrying: the condition can clear by itself. Authentication, configuration and
    /// malformed requests fail the same way every time, so they fail fast.
    pub fn is_retriable(self) -> bool {
        !matches!(self, Category::Authentication | Category::Configuration | Category::InvalidRequest)
    }

    /// When text matches several categories, the highest priority wins: the non-retriable
    /// diagnoses first (a message naming both a broker and an authorization failure is an
    /// authorization failure), then the specific transient ones, then the generic network words.
    pub const fn priority(self) -> u8 {
        match self {
            Category::Authentication => 8,
            Category::Configuration => 7,
            Category::InvalidRequest => 6,
            Category::TopicMissing => 5,
            Category::QueueFull => 4,
            Category::Throttled => 3,
            Category::Timeout => 2,
            Category::Network => 1,
            Category::Unknown => 0,
        }
    }
}

/// librdkafka error code -> category; `None` for codes that say nothing (-1, 0, unlisted), which
/// are then classified by text. Negative codes are librdkafka's own (`RD_KAFKA_RESP_ERR__*`),
/// positive ones the broker's (Kafka protocol error codes).
pub fn classify_code(code: i32) -> Option<Category> {
    use Category::*;
    Some(match code {
        -199 | -198 | -162 | -161 => InvalidRequest,        // bad message, bad compression, (de)serialization
        -195 | -193 | -187 | -183 | -182 | -180 => Network, // transport, resolve, all brokers down, ISR, node update, wait coord
        -192 | -185 | -166 => Timeout,                      // msg timed out, timed out, queue timed out
        -190 | -188 => TopicMissing,                        // unknown partition, unknown topic
        -186 | -179 | -170 | -165 | -154 => Configuration,  // invalid arg, unknown group, not implemented, unsupported feature, invalid type
        -184 => QueueFull,
        -181 | -169 => Authentication,               // SSL, authentication
        2 | 4 | 10 | 18 | 42 | 87 => InvalidRequest, // corrupt, invalid size, too large, record list too large, invalid request, invalid record
        3 => TopicMissing,
        5 | 6 | 8 | 9 | 13 | 14 | 15 | 16 | 19 | 20 | 41 | 56 => Network, // leadership, availability, network, replicas, storage
        7 => Timeout,
        17 | 21 | 35 | 37 | 38 | 40 | 43 | 44 => Configuration, // invalid topic, acks, version, partitions, replication, config
        29 | 30 | 31 | 33 | 34 | 58 => Authentication,          // authorization, SASL
        89 => Throttled,
        _ => return None,
    })
}

/// Text patterns (lower case; matched ASCII-case-insensitively) and their categories, grouped by
/// category in priority order. The order matters (leftmost-first): the TS twin lists them identically.
pub const PATTERNS: &[(&str, Category)] = &[
    ("auth", Category::Authentication),
    ("permission", Category::Authentication),
    ("sasl", Category::Authentication),
    ("ssl handshake", Category::Authentication),
    ("access denied", Category::Authentication),
    ("credentials", Category::Authentication),
    ("configuration", Category::Configuration),
    ("invalid config", Category::Configuration),
    ("invalid argument", Category::Configuration),
    ("unsupported", Category::Configuration),
    ("not supported", Category::Configuration),
    ("invalid replication factor", Category::Configuration),
    ("invalid partitions", Category::Configuration),
    ("too large", Category::InvalidRequest),
    ("invalid message", Category::InvalidRequest),
    ("invalid record", Category::InvalidRequest),
    ("failed to validate record", Category::InvalidRequest), // INVALID_RECORD (87) as text: e.g. a keyless record on a compacted topic
    ("corrupt", Category::InvalidRequest),
    ("unknown topic", Category::TopicMissing),
    ("topic does not exist", Category::TopicMissing),
    ("topic not found", Category::TopicMissing),
    ("unknown partition", Category::TopicMissing),
    ("unknown_topic", Category::TopicMissing),
    ("queue full", Category::QueueFull),
    ("queue is full", Category::QueueFull),
    ("throttl", Category::Throttled),
    ("quota", Category::Throttled),
    ("timed out", Category::Timeout),
    ("timeout", Category::Timeout),
    ("etimedout", Category::Timeout),
    ("network", Category::Network),
    ("connect", Category::Network),
    ("broker", Category::Network),
    ("transport", Category::Network),
    ("resolve", Category::Network),
    ("resolution", Category::Network),
    ("socket", Category::Network),
    ("econnre", Category::Network),
    ("ehostunreach", Category::Network),
    ("enotfound", Category::Network),
    ("epipe", Category::Network),
    ("leader not available", Category::Network),
    ("not leader", Category::Network),
    ("not enough replicas", Category::Network),
];

pub(crate) const PRIORITY_BY_ID: [u8; CATEGORY_COUNT] = {
    let mut t = [0u8; CATEGORY_COUNT];
    let mut i = 0;
    while i < CATEGORY_COUNT {
        t[i] = Category::ALL[i].priority();
        i += 1;
    }
    t
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retriable_split() {
        let retriable: Vec<_> = Category::ALL.iter().filter(|c| c.is_retriable()).map(|c| c.name()).collect();
        assert_eq!(retriable, ["Unknown", "TopicMissing", "Network", "Timeout", "Throttled", "QueueFull"]);
    }

    #[test]
    fn ids_round_trip() {
        for c in Category::ALL {
            assert_eq!(Category::from_id(c as u8), Some(c));
        }
        assert_eq!(Category::from_id(CATEGORY_COUNT as u8), None);
    }
}
