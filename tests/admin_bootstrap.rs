//! `CRM_ADMIN_EMAIL`/`CRM_ADMIN_PASSWORD` create an admin only when none exists, on both databases.
#![cfg(feature = "ssr")]

mod common;

use common::{BACKENDS, TestDb};
use crm::{
    server::config::AdminBootstrap,
    users::{
        entity, password,
        service::{BootstrapOutcome, ensure_admin},
    },
};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Statement};

fn admin(email: &str) -> AdminBootstrap {
    AdminBootstrap { email: email.to_owned(), password: "a long enough password".to_owned() }
}

#[tokio::test]
async fn creates_the_admin_once_with_a_verifiable_password() {
    for backend in BACKENDS {
        let test_db = TestDb::migrated(backend).await;
        let db = &test_db.conn;
        assert_eq!(ensure_admin(db, &admin("boss@example.com")).await.unwrap(), BootstrapOutcome::Created);
        // A second start-up, even with another email, changes nothing.
        assert_eq!(ensure_admin(db, &admin("other@example.com")).await.unwrap(), BootstrapOutcome::AdminExists);

        let users = entity::Entity::find().all(db).await.unwrap();
        assert_eq!(users.len(), 1, "{backend:?}");
        let boss = &users[0];
        assert_eq!((boss.email.as_str(), boss.role.as_str(), boss.is_active), ("boss@example.com", "admin", true));
        assert!(password::verify("a long enough password".into(), boss.password_hash.clone()).await.unwrap());
        test_db.cleanup().await;
    }
}

#[tokio::test]
async fn promotes_an_existing_user_with_that_email() {
    for backend in BACKENDS {
        let test_db = TestDb::migrated(backend).await;
        let db = &test_db.conn;
        db.execute_raw(Statement::from_string(
            db.get_database_backend(),
            "INSERT INTO users (email, name, password_hash, role) VALUES ('boss@example.com', 'Boss', 'kept', 'user')",
        ))
        .await
        .unwrap();
        assert_eq!(ensure_admin(db, &admin("boss@example.com")).await.unwrap(), BootstrapOutcome::Promoted);
        let admins = entity::Entity::find().filter(entity::Column::Role.eq("admin")).count(db).await.unwrap();
        assert_eq!(admins, 1);
        let boss = entity::Entity::find().one(db).await.unwrap().unwrap();
        assert_eq!(boss.password_hash, "kept", "{backend:?}: the user's own password is kept");
        test_db.cleanup().await;
    }
}
