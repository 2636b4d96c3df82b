//! Linux: credentials as items in the Secret Service's default collection (gnome-keyring,
//! KeePassXC, …) over D-Bus, via oo7.
//!
//! Each item is labelled like `Latchkey: Jamf Pro acme.jamfcloud.com (client abc)` and
//! carries the attributes `application=latchkey`, `latchkey-id`, `latchkey-kind`,
//! `latchkey-domain` and `latchkey-metadata` (the [`Metadata`] as JSON), so `secret-tool
//! search application latchkey` finds them and listing never reads a secret. The secret is
//! the payload of [`crate::payload`]. Never logs a secret; errors go through [`store_error`].

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use oo7::dbus::{Collection, Item, Service, ServiceError};
use oo7::{ContentType, Secret};

use crate::item_attributes::{APPLICATION, attributes_of, metadata_of};
use crate::{
    CredentialEdit, CredentialId, Error, Metadata, NewCredential, SecretPlace, SecretStore,
    SecretString, StoreFuture, admit, admit_edit, payload,
};

/// The Secret Service on the session bus, with an encrypted session when the service offers
/// one (gnome-keyring does).
#[derive(Debug)]
pub struct SecretServiceStore {
    service: Service,
}

impl SecretServiceStore {
    /// Connects to the session bus's Secret Service.
    pub async fn connect() -> Result<Self, Error> {
        let service = Service::new().await.map_err(store_error)?;
        Ok(Self { service })
    }

    /// The default collection (gnome-keyring's `login`), which must be unlocked: there is no
    /// one to answer an unlock prompt from the broker, so fail fast instead of waiting.
    async fn collection(&self) -> Result<Collection, Error> {
        let collection = self
            .service
            .default_collection()
            .await
            .map_err(store_error)?;
        if collection.is_locked().await.map_err(store_error)? {
            return Err(Error::Locked);
        }
        Ok(collection)
    }

    /// Every Latchkey item with its metadata.
    async fn items(&self, collection: &Collection) -> Result<Vec<(Item, Metadata)>, Error> {
        let items = collection
            .search_items(&[("application", APPLICATION)])
            .await
            .map_err(store_error)?;
        let mut found = Vec::with_capacity(items.len());
        for item in items {
            let attributes = match item.attributes().await {
                Ok(attributes) => attributes,
                // Deleted (by us or another client) between the search and this read.
                Err(e) if vanished(&e) => continue,
                Err(e) => return Err(store_error(e)),
            };
            // Latchkey's own state items (see `set_state`) are not credentials.
            if attributes.contains_key("latchkey-state") {
                continue;
            }
            found.push((item, metadata_of(&attributes)?));
        }
        Ok(found)
    }

    /// Every credential's metadata, unsorted.
    async fn metadata(&self, collection: &Collection) -> Result<Vec<Metadata>, Error> {
        Ok(self
            .items(collection)
            .await?
            .into_iter()
            .map(|(_, m)| m)
            .collect())
    }

    /// The item with `id`, or [`Error::NotFound`].
    async fn item(
        &self,
        collection: &Collection,
        id: &CredentialId,
    ) -> Result<(Item, Metadata), Error> {
        let items = collection
            .search_items(&[("application", APPLICATION), ("latchkey-id", id.as_str())])
            .await
            .map_err(store_error)?;
        let item = items
            .into_iter()
            .next()
            .ok_or_else(|| Error::NotFound(id.clone()))?;
        let metadata = metadata_of(&item.attributes().await.map_err(store_error)?)?;
        Ok((item, metadata))
    }

    /// Rewrites the item's Latchkey attributes for `metadata`, keeping any the service added
    /// (gnome-keyring adds `xdg:schema`).
    async fn update(&self, item: &Item, metadata: &Metadata) -> Result<(), Error> {
        let mut attributes = item.attributes().await.map_err(store_error)?;
        attributes.extend(
            attributes_of(metadata)?
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v)),
        );
        item.set_attributes(&attributes).await.map_err(store_error)
    }
}

impl SecretStore for SecretServiceStore {
    fn list(&self) -> StoreFuture<'_, Vec<Metadata>> {
        Box::pin(async move {
            // Searching and reading attributes work on a locked collection: no prompt.
            let collection = self
                .service
                .default_collection()
                .await
                .map_err(store_error)?;
            let mut all = self.metadata(&collection).await?;
            all.sort_by(|a, b| (&a.domain, &a.label).cmp(&(&b.domain, &b.label)));
            Ok(all)
        })
    }

    fn put(&self, new: NewCredential) -> StoreFuture<'_, Metadata> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let existing = self.metadata(&collection).await?;
            let (metadata, secret) = admit(new, &existing)?;
            create(&collection, &metadata, &secret).await?;
            Ok(metadata)
        })
    }

    fn import<'a>(
        &'a self,
        metadata: &'a Metadata,
        secret: &'a SecretString,
    ) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let collection = self.collection().await?;
            if self
                .metadata(&collection)
                .await?
                .iter()
                .any(|m| m.id == metadata.id)
            {
                return Err(Error::Store(format!(
                    "credential {} is already in the Secret Service",
                    metadata.id
                )));
            }
            create(&collection, metadata, secret).await
        })
    }

    fn get<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, SecretString> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let (item, metadata) = self.item(&collection, id).await?;
            let secret = item.secret().await.map_err(store_error)?;
            payload::decode(&metadata.account, id.as_str(), secret.as_bytes())
        })
    }

    fn rotate<'a>(&'a self, id: &'a CredentialId, place: SecretPlace) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let (item, current) = self.item(&collection, id).await?;
            let (metadata, secret) = place.applied_to(&current)?;
            let bytes = payload::encode(&metadata.account, &secret);
            item.set_secret(Secret::with_content_type(ContentType::Text, &*bytes))
                .await
                .map_err(store_error)?;
            self.update(&item, &metadata).await?;
            Ok(metadata)
        })
    }

    fn edit<'a>(
        &'a self,
        id: &'a CredentialId,
        edit: &'a CredentialEdit,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let existing = self.metadata(&collection).await?;
            let (item, current) = self.item(&collection, id).await?;
            let metadata = admit_edit(&current, edit, &existing)?;
            self.update(&item, &metadata).await?;
            item.set_label(&metadata.store_label())
                .await
                .map_err(store_error)?;
            Ok(metadata)
        })
    }

    fn record_use<'a>(
        &'a self,
        id: &'a CredentialId,
        at: DateTime<Utc>,
    ) -> StoreFuture<'a, Metadata> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let (item, mut metadata) = self.item(&collection, id).await?;
            metadata.last_used = Some(at);
            self.update(&item, &metadata).await?;
            Ok(metadata)
        })
    }

    fn delete<'a>(&'a self, id: &'a CredentialId) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let (item, _) = self.item(&collection, id).await?;
            item.delete(None).await.map_err(store_error)
        })
    }

    fn state<'a>(&'a self, name: &'a str) -> StoreFuture<'a, Option<Vec<u8>>> {
        Box::pin(async move {
            let collection = self.collection().await?;
            let items = collection
                .search_items(&[("application", APPLICATION), ("latchkey-state", name)])
                .await
                .map_err(store_error)?;
            match items.into_iter().next() {
                Some(item) => Ok(Some(
                    item.secret()
                        .await
                        .map_err(store_error)?
                        .as_bytes()
                        .to_vec(),
                )),
                None => Ok(None),
            }
        })
    }

    fn set_state<'a>(&'a self, name: &'a str, value: &'a [u8]) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let collection = self.collection().await?;
            // `replace` keeps one item per name: the service swaps an item whose attributes
            // match exactly.
            collection
                .create_item(
                    &format!("Latchkey: {name}"),
                    &HashMap::from([("application", APPLICATION), ("latchkey-state", name)]),
                    Secret::with_content_type(ContentType::Text, value),
                    true,
                    None,
                )
                .await
                .map_err(store_error)?;
            Ok(())
        })
    }
}

/// A new item in `collection` for `metadata` holding `secret`.
async fn create(
    collection: &Collection,
    metadata: &Metadata,
    secret: &SecretString,
) -> Result<(), Error> {
    let bytes = payload::encode(&metadata.account, secret);
    collection
        .create_item(
            &metadata.store_label(),
            &attributes_of(metadata)?,
            Secret::with_content_type(ContentType::Text, &*bytes),
            false,
            None,
        )
        .await
        .map_err(store_error)?;
    Ok(())
}

/// The one mapping from oo7/D-Bus errors to [`Error`]. D-Bus errors carry method names and
/// object paths, never item secrets (those travel only in encrypted session payloads).
/// Whether an item is gone: the keyring dropped its D-Bus object.
fn vanished(error: &oo7::dbus::Error) -> bool {
    use oo7::dbus::Error as E;
    match error {
        E::Deleted | E::Service(ServiceError::NoSuchObject(_)) => true,
        E::ZBus(zbus::Error::MethodError(name, _, _)) => matches!(
            name.as_str(),
            "org.freedesktop.DBus.Error.UnknownMethod" | "org.freedesktop.DBus.Error.UnknownObject"
        ),
        // gnome-keyring answers a read of an item deleted a moment before as a missing
        // Properties interface (seen when a parallel test deleted its item mid-list).
        E::ZBus(zbus::Error::FDO(e)) => matches!(
            **e,
            zbus::fdo::Error::UnknownMethod(_)
                | zbus::fdo::Error::UnknownObject(_)
                | zbus::fdo::Error::UnknownInterface(_)
        ),
        _ => false,
    }
}

fn store_error(error: oo7::dbus::Error) -> Error {
    use oo7::dbus::Error as E;
    match error {
        E::Service(ServiceError::IsLocked(_)) | E::Dismissed => Error::Locked,
        E::ZBus(
            zbus::Error::Address(_) | zbus::Error::Connection(..) | zbus::Error::InputOutput(_),
        )
        | E::IO(_) => {
            Error::Unavailable(format!(
                "cannot reach the D-Bus session bus ({error}); is a desktop session running?"
            ))
        }
        E::ZBus(zbus::Error::MethodError(ref name, _, _))
            if name.as_str() == "org.freedesktop.DBus.Error.ServiceUnknown" =>
        {
            Error::Unavailable(
                "nothing provides org.freedesktop.secrets: install and start gnome-keyring or KeePassXC"
                    .to_owned(),
            )
        }
        E::Deleted | E::Service(ServiceError::NoSuchObject(_)) => {
            Error::Store("the item was removed while Latchkey was using it".to_owned())
        }
        other => Error::Store(other.to_string()),
    }
}
