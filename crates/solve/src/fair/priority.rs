//! How the platform's must/should/could priorities become request weights.
//!
//! The scheduler only maximises a sum of weights, so priorities have to be turned
//! into numbers. The suggested mapping follows the benchmark generator (and the
//! practice of commercial fair tools): each side states a priority for the meeting,
//! a side's priority is worth 5, 3 or 1 points, and the pair's weight is the sum of
//! what both sides stated, so mutual interest weighs more than one-sided interest.
//!
//! With these numbers one "must" meeting outweighs one "should" plus one "could",
//! but not two "should"s: the weights express preference, not obligation. A meeting
//! that truly has to happen should be *locked* to a slot by staff instead (see
//! [`super::Placement`] and [`super::ScheduleOptions::locked`]); locked meetings are
//! never moved by the search.

/// One side's interest in a meeting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Priority {
    /// The side would be disappointed to miss this meeting.
    Must,
    /// The side wants this meeting.
    Should,
    /// The side would take this meeting if there is room.
    Could,
}

impl Priority {
    /// The points one side's priority adds to the pair's weight.
    pub fn points(self) -> u32 {
        match self {
            Priority::Must => 5,
            Priority::Should => 3,
            Priority::Could => 1,
        }
    }

    /// The suggested weight of a meeting request from the priorities each side
    /// stated (`None` when a side stated nothing but accepted the request).
    /// Never zero, since an accepted request is always worth a free table.
    pub fn pair_weight(a: Option<Priority>, b: Option<Priority>) -> u32 {
        let sum = a.map_or(0, Priority::points) + b.map_or(0, Priority::points);
        sum.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mutual_interest_weighs_more_than_either_side_alone() {
        let one_sided = Priority::pair_weight(Some(Priority::Must), None);
        let mutual = Priority::pair_weight(Some(Priority::Must), Some(Priority::Could));
        assert!(mutual > one_sided);
        assert_eq!(
            Priority::pair_weight(Some(Priority::Must), Some(Priority::Must)),
            10
        );
    }

    #[test]
    fn an_accepted_request_without_stated_priorities_still_has_weight_one() {
        assert_eq!(Priority::pair_weight(None, None), 1);
    }

    #[test]
    fn must_outweighs_should_which_outweighs_could() {
        assert!(Priority::Must.points() > Priority::Should.points());
        assert!(Priority::Should.points() > Priority::Could.points());
    }
}
