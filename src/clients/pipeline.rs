//! The pipeline board: one column per stage with its most recently active clients, and more of
//! them a page at a time (keyset cursors, as the list). Moving a card is applied to the board in
//! the browser at once and undone if the server refuses it.
use serde::{Deserialize, Serialize};

use super::model::Total;

/// Cards per column at first and per "Show more".
pub const CARDS_PER_STAGE: u64 = 25;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineCard {
    pub id: i64,
    pub name: String,
    pub company: Option<String>,
    pub strategy_name: String,
    /// Shown to admins, who see everyone's clients.
    pub owner_name: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineColumn {
    pub status: String,
    pub total: Total,
    pub cards: Vec<PipelineCard>,
    /// The cursor of the column's next cards (the list's `after`), if there are more.
    pub next: Option<String>,
}

/// More cards of one column: the next page after a cursor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineCards {
    pub cards: Vec<PipelineCard>,
    pub next: Option<String>,
}

impl PipelineColumn {
    pub fn total_label(&self) -> String {
        self.total.label()
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PipelineBoard {
    pub columns: Vec<PipelineColumn>,
}

impl PipelineBoard {
    /// Moves a card to the top of `status`'s column (it is now the most recently touched) and
    /// adjusts both totals. Returns false, changing nothing, when the card or the column is not
    /// on the board or the card is already there.
    pub fn move_card(&mut self, id: i64, status: &str) -> bool {
        let Some(from) = self.columns.iter().position(|column| column.cards.iter().any(|card| card.id == id)) else {
            return false;
        };
        let Some(to) = self.columns.iter().position(|column| column.status == status) else { return false };
        if from == to {
            return false;
        }
        let source = &mut self.columns[from];
        let Some(index) = source.cards.iter().position(|card| card.id == id) else { return false };
        let card = source.cards.remove(index);
        source.total.add(-1);
        let target = &mut self.columns[to];
        target.cards.insert(0, card);
        target.total.add(1);
        true
    }

    /// Adds a page of `status`'s cards under those shown, leaving out any already on the board
    /// (a card moved there meanwhile), and keeps the column's cursor.
    pub fn append(&mut self, status: &str, page: PipelineCards) {
        let shown: Vec<i64> = self.columns.iter().flat_map(|column| column.cards.iter().map(|card| card.id)).collect();
        if let Some(column) = self.columns.iter_mut().find(|column| column.status == status) {
            column.cards.extend(page.cards.into_iter().filter(|card| !shown.contains(&card.id)));
            column.next = page.next;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn board() -> PipelineBoard {
        let card = |id: i64| PipelineCard { id, name: format!("Client {id}"), ..Default::default() };
        PipelineBoard {
            columns: vec![
                PipelineColumn {
                    status: "lead".into(),
                    total: Total::exact(2),
                    cards: vec![card(1), card(2)],
                    next: None,
                },
                PipelineColumn { status: "won".into(), total: Total::exact(1), cards: vec![card(3)], next: None },
            ],
        }
    }

    #[test]
    fn a_moved_card_tops_its_new_column_and_the_totals_follow() {
        let mut board = board();
        assert!(board.move_card(2, "won"));
        let ids = |column: &PipelineColumn| column.cards.iter().map(|card| card.id).collect::<Vec<_>>();
        assert_eq!((ids(&board.columns[0]), board.columns[0].total), (vec![1], Total::exact(1)));
        assert_eq!((ids(&board.columns[1]), board.columns[1].total), (vec![2, 3], Total::exact(2)));
    }

    #[test]
    fn impossible_moves_change_nothing() {
        let mut board = board();
        let before = board.clone();
        assert!(!board.move_card(9, "won"));
        assert!(!board.move_card(1, "lead"));
        assert!(!board.move_card(1, "archived"));
        assert_eq!(board, before);
    }

    #[test]
    fn more_cards_go_under_the_shown_ones_without_repeating_a_card() {
        let mut board = board();
        let card = |id: i64| PipelineCard { id, ..Default::default() };
        board.append("lead", PipelineCards { cards: vec![card(3), card(4)], next: Some("4.1".into()) });
        let ids: Vec<i64> = board.columns[0].cards.iter().map(|card| card.id).collect();
        assert_eq!((ids, board.columns[0].next.as_deref()), (vec![1, 2, 4], Some("4.1")));
    }

    #[test]
    fn totals_beyond_the_count_limit_are_bounded() {
        let mut column = PipelineColumn { total: Total::bounded(10_001, 10_000), ..Default::default() };
        assert_eq!(column.total_label(), "10,000+");
        column.total.add(-1);
        assert_eq!(column.total_label(), "10,000+", "one fewer than more than 10,000 is still 10,000 or more");
    }
}
