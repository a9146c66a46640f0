//! The stored file of an import, in `client_import_chunks` rows of about [`CHUNK_BYTES`]: written
//! a piece at a time while the upload arrives ([`Upload`]) and read back a piece at a time
//! ([`StoredRecords`], [`check_stored`]), so that no step holds a whole file in memory.
//!
//! An upload being received is a draft marked `uploading`, which nothing lists or opens; a
//! refused upload deletes it with its pieces, and one cut off by a crash is swept with the
//! expired drafts.
use std::collections::VecDeque;

use chrono::Utc;
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, Set};

use super::{
    entity::{chunk, import},
    model::STATUS_DRAFT,
    parse::{Checker, FileSummary},
    stream::{Record, RecordReader},
};
use crate::shared::AppError;

/// A row of `client_import_chunks` holds about this many bytes.
pub const CHUNK_BYTES: usize = 1024 * 1024;

fn refused(problem: super::parse::FileProblem) -> AppError {
    AppError::field("file", problem.to_string())
}

/// An upload being stored: each piece is checked, then written once a chunk's worth has come.
pub struct Upload {
    pub id: i64,
    checker: Option<Checker>,
    pending: String,
    seq: i32,
    size: u64,
}

impl Upload {
    /// Inserts the hidden draft that receives the file.
    pub async fn begin<C: ConnectionTrait>(db: &C, owner_id: i64, file_name: String) -> Result<Upload, AppError> {
        let now = Utc::now();
        let model = import::ActiveModel {
            owner_id: Set(owner_id),
            file_name: Set(file_name),
            file_size: Set(0),
            separator: Set("comma".to_owned()),
            header: Set("[]".to_owned()),
            row_count: Set(0),
            mapping: Set(None),
            strategy_id: Set(None),
            duplicate_key: Set("none".to_owned()),
            on_duplicate: Set("skip".to_owned()),
            replace_existing: Set(false),
            replace_fields: Set(String::new()),
            status: Set(STATUS_DRAFT.to_owned()),
            uploading: Set(true),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        let id = import::Entity::insert(model).exec(db).await?.last_insert_id;
        Ok(Upload { id, checker: Some(Checker::new(None)), pending: String::new(), seq: 0, size: 0 })
    }

    /// Checks and keeps the next bytes of the file; a problem refuses the file.
    pub async fn write<C: ConnectionTrait>(&mut self, db: &C, bytes: &[u8]) -> Result<(), AppError> {
        // However large the piece given, no copy of it is made larger than this.
        for slice in bytes.chunks(64 * 1024) {
            self.write_slice(db, slice).await?;
        }
        Ok(())
    }

    async fn write_slice<C: ConnectionTrait>(&mut self, db: &C, bytes: &[u8]) -> Result<(), AppError> {
        let checker = self.checker.as_mut().ok_or(AppError::Internal)?;
        let text = checker.read(bytes).map_err(refused)?;
        self.pending.push_str(&text);
        while self.pending.len() >= CHUNK_BYTES {
            let mut end = CHUNK_BYTES;
            while !self.pending.is_char_boundary(end) {
                end -= 1;
            }
            let rest = self.pending.split_off(end);
            let piece = std::mem::replace(&mut self.pending, rest);
            self.store(db, piece).await?;
        }
        Ok(())
    }

    async fn store<C: ConnectionTrait>(&mut self, db: &C, piece: String) -> Result<(), AppError> {
        self.size += piece.len() as u64;
        let row = chunk::ActiveModel {
            import_id: Set(self.id),
            seq: Set(self.seq),
            content: Set(piece),
            ..Default::default()
        };
        chunk::Entity::insert(row).exec_without_returning(db).await?;
        self.seq += 1;
        Ok(())
    }

    /// Ends the file: its last checks, its last piece; returns what it holds and its stored size.
    pub async fn finish<C: ConnectionTrait>(&mut self, db: &C) -> Result<(FileSummary, u64), AppError> {
        let checker = self.checker.take().ok_or(AppError::Internal)?;
        let summary = checker.finish().map_err(refused)?;
        let piece = std::mem::take(&mut self.pending);
        if !piece.is_empty() {
            self.store(db, piece).await?;
        }
        Ok((summary, self.size))
    }

    /// Deletes the draft and what was stored of the file.
    pub async fn abandon(&self, db: &sea_orm::DatabaseConnection) -> Result<(), AppError> {
        let txn = crate::server::db::begin_write(db).await?;
        drop_files(&txn, vec![self.id]).await?;
        import::Entity::delete_by_id(self.id).exec(&txn).await?;
        txn.commit().await?;
        Ok(())
    }
}

/// Piece `seq` of the stored file of import `id`.
async fn load_piece<C: ConnectionTrait>(db: &C, id: i64, seq: i32) -> Result<Option<String>, AppError> {
    Ok(chunk::Entity::find()
        .filter(chunk::Column::ImportId.eq(id))
        .filter(chunk::Column::Seq.eq(seq))
        .select_only()
        .column(chunk::Column::Content)
        .into_tuple()
        .one(db)
        .await?)
}

/// The first piece of the stored file (the mapping page's preview).
pub async fn first_piece<C: ConnectionTrait>(db: &C, id: i64) -> Result<String, AppError> {
    Ok(load_piece(db, id, 0).await?.unwrap_or_default())
}

/// Checks the stored file again with `separator`, a piece at a time.
pub async fn check_stored<C: ConnectionTrait>(db: &C, id: i64, separator: u8) -> Result<FileSummary, AppError> {
    let mut checker = Checker::new(Some(separator));
    let mut seq = 0;
    while let Some(piece) = load_piece(db, id, seq).await? {
        checker.read(piece.as_bytes()).map_err(|problem| AppError::field("separator", problem.to_string()))?;
        seq += 1;
    }
    checker.finish().map_err(|problem| AppError::field("separator", problem.to_string()))
}

/// Deletes the stored files of the imports `ids`.
pub async fn drop_files<C: ConnectionTrait>(db: &C, ids: Vec<i64>) -> Result<(), AppError> {
    if !ids.is_empty() {
        chunk::Entity::delete_many().filter(chunk::Column::ImportId.is_in(ids)).exec(db).await?;
    }
    Ok(())
}

/// The data rows of a stored file (the header row is left out), read a piece at a time.
pub struct StoredRecords {
    id: i64,
    next_seq: i32,
    reader: RecordReader,
    ready: VecDeque<Record>,
    header_skipped: bool,
    ended: bool,
}

impl StoredRecords {
    pub fn new(id: i64, separator: u8) -> Self {
        StoredRecords {
            id,
            next_seq: 0,
            reader: RecordReader::new(separator),
            ready: VecDeque::new(),
            header_skipped: false,
            ended: false,
        }
    }

    pub async fn next<C: ConnectionTrait>(&mut self, db: &C) -> Result<Option<Record>, AppError> {
        loop {
            if let Some(record) = self.ready.pop_front() {
                if !self.header_skipped {
                    self.header_skipped = true;
                    continue;
                }
                return Ok(Some(record));
            }
            if self.ended {
                return Ok(None);
            }
            let mut records = Vec::new();
            match load_piece(db, self.id, self.next_seq).await? {
                Some(piece) => {
                    self.reader.read(piece.as_bytes(), &mut records);
                    self.next_seq += 1;
                }
                None => {
                    self.reader.finish(&mut records);
                    self.ended = true;
                }
            }
            self.ready.extend(records);
        }
    }
}
