//! The mock's responses decode into the SDK's generated types: every response of a full flow
//! goes through the generated operation's own `Operation::decode`.

mod common;

use ampersand_core::Operation;
use ampersand_mock::MockServer;
use ampersand_resources as r;
use bytes::Bytes;
use common::{AMP_YAML, Auth, Http, Resp};
use http::Method;
use serde_json::json;

/// Decodes a response with the operation's generated decoder, failing with the body on error.
fn decode<O: Operation>(resp: Resp) -> O::Output {
    assert!(resp.status.is_success(), "{}: {}", resp.status, resp.text());
    let text = resp.text();
    let mut response = http::Response::new(resp.body);
    *response.status_mut() = resp.status;
    *response.headers_mut() = resp.headers;
    O::decode(response).unwrap_or_else(|e| {
        panic!(
            "{} does not decode: {e:?}\nbody: {text}",
            O::META.operation_id
        )
    })
}

#[tokio::test]
async fn every_response_of_a_full_flow_decodes_into_the_sdk_types() {
    let server = MockServer::start().await.unwrap();
    let http = Http::new(&server);
    let key = http.key.clone();
    let org_id = server.org_id().unwrap();

    decode::<r::users::GetMyInfo>(http.bearer(Method::GET, "/my-info", None).await);
    decode::<r::orgs::GetOrg>(
        http.bearer(Method::GET, &format!("/orgs/{org_id}"), None)
            .await,
    );
    decode::<r::orgs::ListOrgBuilders>(
        http.bearer(Method::GET, &format!("/orgs/{org_id}/builders"), None)
            .await,
    );
    decode::<r::projects::CreateProject>(
        http.bearer(
            Method::POST,
            "/projects",
            Some(&json!({"name": "decode-me", "appName": "D", "orgId": org_id})),
        )
        .await,
    );
    decode::<r::projects::ListProjects>(http.get("/projects").await);
    decode::<r::projects::GetProject>(
        http.get("/projects/decode-me?includeEntitlements=true")
            .await,
    );
    decode::<r::projects::UpdateProject>(
        http.patch(
            "/projects/decode-me",
            &json!({"updateMask": ["appName"], "project": {"appName": "D2"}}),
        )
        .await,
    );
    let p = "/projects/decode-me";

    decode::<r::providers::ListProviders>(
        http.send(
            Method::GET,
            &format!("{}/providers", http.api),
            Auth::None,
            None,
        )
        .await,
    );
    decode::<r::providers::GetProvider>(
        http.send(
            Method::GET,
            &format!("{}/providers/apollo", http.api),
            Auth::None,
            None,
        )
        .await,
    );

    let app = http
        .post(
            &format!("{p}/provider-apps"),
            &json!({"provider": "salesforce", "clientId": "c", "clientSecret": "s"}),
        )
        .await
        .json();
    decode::<r::provider_apps::ListProviderApps>(http.get(&format!("{p}/provider-apps")).await);
    decode::<r::provider_apps::UpdateProviderApp>(
        http.patch(
            &format!("{p}/provider-apps/{}", app["id"].as_str().unwrap()),
            &json!({"updateMask": ["scopes"], "providerApp": {"scopes": ["a"]}}),
        )
        .await,
    );

    decode::<r::upload_urls::GenerateUploadUrl>(http.get("/generate-upload-url").await);
    let integrations = http
        .put(
            &format!("{p}/integrations:batch"),
            &json!({"sourceYaml": AMP_YAML}),
        )
        .await;
    let integrations_json = integrations.json();
    decode::<r::integrations::BatchUpsertIntegrations>(integrations);
    let sf = integrations_json[0]["id"].as_str().unwrap().to_owned();
    let revision = integrations_json[0]["latestRevision"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    decode::<r::integrations::ListIntegrations>(http.get(&format!("{p}/integrations")).await);
    decode::<r::integrations::GetIntegration>(http.get(&format!("{p}/integrations/{sf}")).await);

    let connection = http
        .post(
            &format!("{p}/connections:generate"),
            &json!({"provider": "salesforce", "groupRef": "g1", "consumerRef": "u1", "oauth2AuthorizationCode": {"accessToken": {"token": "t"}}}),
        )
        .await;
    let connection_id = connection.json()["id"].as_str().unwrap().to_owned();
    decode::<r::connections::GenerateConnection>(connection);
    decode::<r::connections::ListConnections>(http.get(&format!("{p}/connections")).await);
    decode::<r::connections::GetConnection>(
        http.get(&format!(
            "{p}/connections/{connection_id}?includeCreds=true&includeRefreshToken=true"
        ))
        .await,
    );
    decode::<r::connections::UpdateConnection>(
        http.patch(&format!("{p}/connections/{connection_id}"), &json!({"updateMask": ["providerWorkspaceRef"], "connection": {"providerWorkspaceRef": "acme"}})).await,
    );
    let started = http.post("/custom-auth/connect", &json!({"projectIdOrName": "decode-me", "provider": "bill", "groupRef": "g2", "consumerRef": "u2", "customAuth": {"userName": "x", "password": "y"}})).await;
    let session = started.json()["redirect"]["sessionId"]
        .as_str()
        .unwrap()
        .to_owned();
    decode::<r::connections::CustomAuthConnect>(started);
    decode::<r::connections::CustomAuthConnect>(
        http.post("/custom-auth/connect", &json!({"projectIdOrName": "decode-me", "sessionId": session, "callbackParams": {"tenant": "t1"}})).await,
    );
    let url = decode::<r::oauth::OauthConnect>(
        http.post("/oauth-connect", &json!({"projectIdOrName": "decode-me", "provider": "salesforce", "groupRef": "g3", "consumerRef": "u3"})).await,
    );
    assert!(format!("{url:?}").contains("/oauth/"));
    decode::<r::oauth::OauthUpdate>(
        http.patch(
            &format!("{p}/connections/{connection_id}:oauth-update"),
            &json!({}),
        )
        .await,
    );
    decode::<r::revisions::GetHydratedRevision>(
        http.get(&format!(
            "{p}/integrations/{sf}/revisions/{revision}:hydrate?connectionId={connection_id}"
        ))
        .await,
    );

    let content = json!({"provider": "salesforce", "read": {"objects": {"contact": {"objectName": "contact", "schedule": "*/10 * * * *", "destination": "d", "selectedFields": {"email": true}}}}, "write": {"objects": {"lead": {"objectName": "lead"}}}});
    let installation = http
        .post(&format!("{p}/integrations/{sf}/installations"), &json!({"groupRef": "g1", "connectionId": connection_id, "config": {"content": content}}))
        .await;
    let inst = installation.json()["id"].as_str().unwrap().to_owned();
    decode::<r::installations::CreateInstallation>(installation);
    decode::<r::installations::GetInstallation>(
        http.get(&format!("{p}/integrations/{sf}/installations/{inst}"))
            .await,
    );
    decode::<r::installations::ListInstallations>(
        http.get(&format!("{p}/integrations/{sf}/installations"))
            .await,
    );
    decode::<r::installations::ListInstallationsForProject>(
        http.get(&format!("{p}/installations")).await,
    );
    decode::<r::installations::UpdateInstallation>(
        http.patch(&format!("{p}/integrations/{sf}/installations/{inst}"), &json!({"updateMask": ["config.content.read.objects.contact.schedule"], "installation": {"config": {"content": {"read": {"objects": {"contact": {"schedule": "0 * * * *"}}}}}}})).await,
    );
    decode::<r::installations::PatchObjectConfigContent>(
        http.patch(&format!("{p}/integrations/{sf}/objects/contact/config-content"), &json!({"groupRef": "g1", "action": "read", "changes": [{"op": "add", "path": "/selectedFields/phone", "value": true}]})).await,
    );

    decode::<r::objects_and_fields::GetObjectMetadataForInstallation>(
        http.get(&format!(
            "{p}/integrations/{sf}/objects/contact/metadata?groupRef=g1"
        ))
        .await,
    );
    decode::<r::objects_and_fields::GetObjectMetadataForConnection>(
        http.get(&format!(
            "{p}/providers/salesforce/objects/contact/metadata?groupRef=g1&excludeReadOnly=true"
        ))
        .await,
    );
    let fields = json!({"groupRef": "g1", "fields": {"contact": [{"fieldName": "tier__c", "displayName": "Tier", "valueType": "string"}]}});
    decode::<r::objects_and_fields::UpsertMetadataForInstallation>(
        http.put(&format!("{p}/integrations/{sf}/object-metadata"), &fields)
            .await,
    );
    decode::<r::objects_and_fields::UpsertMetadataForConnection>(
        http.put(
            &format!("{p}/providers/salesforce/object-metadata"),
            &fields,
        )
        .await,
    );

    let read = http
        .send(
            Method::POST,
            &format!("{}{p}/integrations/{sf}/objects/contact", http.read),
            Auth::Key(&key),
            Some(&json!({"groupRef": "g1", "mode": "async"})),
        )
        .await;
    let op = read.json()["operationId"].as_str().unwrap().to_owned();
    decode::<r::read::TriggerRead>(read);
    decode::<r::operations::GetOperation>(http.get(&format!("{p}/operations/{op}")).await);
    decode::<r::operations::GetOperation>(http.get(&format!("{p}/operations/{op}")).await);
    decode::<r::operations::ListOperationLogs>(
        http.get(&format!("{p}/operations/{op}/logs")).await,
    );
    decode::<r::operations::ListOperations>(
        http.get(&format!(
            "{p}/integrations/{sf}/installations/{inst}/operations"
        ))
        .await,
    );
    decode::<r::operations::GetBackfillProgress>(
        http.get(&format!(
            "{p}/integrations/{sf}/installations/{inst}/objects/contact/backfill-progress"
        ))
        .await,
    );
    let write_url = format!("{}{p}/integrations/{sf}/objects/lead", http.write);
    decode::<r::write::WriteRecords>(
        http.send(
            Method::POST,
            &write_url,
            Auth::Key(&key),
            Some(&json!({"groupRef": "g1", "type": "create", "record": {"email": "a@b.c"}})),
        )
        .await,
    );
    decode::<r::write::WriteRecords>(
        http.send(Method::POST, &write_url, Auth::Key(&key), Some(&json!({"groupRef": "g1", "type": "create", "batch": [{"record": {"email": "x@y.z"}}]}))).await,
    );
    decode::<r::search::SearchRecords>(
        http.send(Method::POST, &format!("{}{p}/integrations/{sf}?groupRef=g1", http.search), Auth::Key(&key), Some(&json!({"objectName": "lead", "fieldFilters": [{"fieldName": "email", "operator": "eq", "value": "a@b.c"}]}))).await,
    );

    let destination = http.post(&format!("{p}/destinations"), &json!({"name": "hook", "type": "webhook", "metadata": {"url": "https://example.com", "headers": {"X-A": "1"}}})).await;
    let dest = destination.json()["id"].as_str().unwrap().to_owned();
    decode::<r::destinations::CreateDestination>(destination);
    decode::<r::destinations::ListDestinations>(http.get(&format!("{p}/destinations")).await);
    decode::<r::destinations::GetDestination>(
        http.get(&format!(
            "{p}/destinations/hook?includeSecrets=true&rotate=true"
        ))
        .await,
    );
    decode::<r::destinations::UpdateDestination>(
        http.patch(&format!("{p}/destinations/{dest}"), &json!({"updateMask": ["metadata.url"], "destination": {"metadata": {"url": "https://example.org"}}})).await,
    );
    let topic = http
        .post(&format!("{p}/topics"), &json!({"name": "t"}))
        .await;
    let topic_id = topic.json()["id"].as_str().unwrap().to_owned();
    decode::<r::destinations::CreateTopic>(topic);
    decode::<r::destinations::ListTopics>(http.get(&format!("{p}/topics")).await);
    decode::<r::destinations::UpdateTopic>(
        http.patch(&format!("{p}/topics/{topic_id}"), &json!({"name": "t2"}))
            .await,
    );
    decode::<r::notifications::CreateEventTopicRoute>(
        http.post(
            &format!("{p}/notification-event-topic-routes"),
            &json!({"eventType": "write.async.done", "topicId": topic_id}),
        )
        .await,
    );
    decode::<r::notifications::ListEventTopicRoutes>(
        http.get(&format!("{p}/notification-event-topic-routes"))
            .await,
    );
    decode::<r::destinations::CreateTopicDestinationRoute>(
        http.post(
            &format!("{p}/topic-destination-routes"),
            &json!({"topicId": topic_id, "destinationId": dest}),
        )
        .await,
    );
    decode::<r::destinations::ListTopicDestinationRoutes>(
        http.get(&format!("{p}/topic-destination-routes")).await,
    );

    let api_key = http
        .post(&format!("{p}/api-keys"), &json!({"label": "k"}))
        .await;
    let created = api_key.json()["key"].as_str().unwrap().to_owned();
    decode::<r::api_keys::CreateApiKey>(api_key);
    decode::<r::api_keys::ListApiKeys>(http.get(&format!("{p}/api-keys")).await);
    decode::<r::api_keys::GetApiKey>(http.get(&format!("{p}/api-keys/{created}")).await);
    decode::<r::api_keys::UpdateApiKey>(
        http.patch(
            &format!("{p}/api-keys/{created}"),
            &json!({"updateMask": ["label"], "apiKey": {"label": "k2"}}),
        )
        .await,
    );
    let pem = "-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----";
    let jwt = http
        .post(
            &format!("{p}/jwt-keys"),
            &json!({"label": "j", "algorithm": "RS256", "publicKeyPem": pem}),
        )
        .await;
    let kid = jwt.json()["kid"].as_str().unwrap().to_owned();
    decode::<r::jwt_keys::CreateJwtKey>(jwt);
    decode::<r::jwt_keys::ListJwtKeys>(http.get(&format!("{p}/jwt-keys")).await);
    decode::<r::jwt_keys::GetJwtKey>(http.get(&format!("{p}/jwt-keys/{kid}")).await);
    decode::<r::jwt_keys::UpdateJwtKey>(
        http.patch(
            &format!("{p}/jwt-keys/{kid}"),
            &json!({"updateMask": ["label"], "jwtKey": {"label": "j2"}}),
        )
        .await,
    );

    let org = http
        .bearer(Method::POST, "/orgs", Some(&json!({"label": "O"})))
        .await;
    let org2 = org.json()["id"].as_str().unwrap().to_owned();
    decode::<r::orgs::CreateOrg>(org);
    decode::<r::orgs::UpdateOrg>(
        http.bearer(
            Method::PATCH,
            &format!("/orgs/{org2}"),
            Some(&json!({"updateMask": ["label"], "org": {"label": "O2"}})),
        )
        .await,
    );
    let invite = http
        .bearer(
            Method::POST,
            &format!("/orgs/{org2}/invites"),
            Some(&json!({"email": "e@x.com"})),
        )
        .await;
    let invite_id = invite.json()["id"].as_str().unwrap().to_owned();
    decode::<r::orgs::CreateOrgInvite>(invite);
    decode::<r::orgs::ListOrgInvites>(
        http.bearer(Method::GET, &format!("/orgs/{org2}/invites"), None)
            .await,
    );
    decode::<r::orgs::GetOrgInvite>(
        http.bearer(
            Method::GET,
            &format!("/orgs/{org2}/invites/{invite_id}"),
            None,
        )
        .await,
    );
    decode::<r::users::AcceptInvite>(
        http.bearer(
            Method::POST,
            "/invites:accept",
            Some(&json!({"invitedEmail": "e@x.com"})),
        )
        .await,
    );
    let account = http
        .bearer(Method::GET, &format!("/orgs/{org2}/billingAccount"), None)
        .await;
    let account_id = account.json()["id"].as_str().unwrap().to_owned();
    decode::<r::billing::GetOrgBillingAccount>(account);
    decode::<r::billing::CreateBillingAccountSession>(
        http.bearer(
            Method::POST,
            &format!("/billingAccounts/{account_id}/portalSession"),
            Some(&json!({"redirectUrl": "https://x"})),
        )
        .await,
    );
    decode::<r::orgs::ClaimDomain>(
        http.bearer(
            Method::POST,
            "/claimed-domains",
            Some(&json!({"domain": "x.com", "parentId": org2, "parentType": "org"})),
        )
        .await,
    );
    decode::<r::orgs::CheckClaimedDomain>(
        http.bearer(Method::GET, "/claimed-domains?domain=x.com", None)
            .await,
    );
    decode::<r::orgs::ListOrgClaimedDomains>(
        http.bearer(Method::GET, &format!("/orgs/{org2}/claimed-domains"), None)
            .await,
    );

    // Empty 201/204 answers decode too.
    decode::<r::integrations::CreateIntegration>(
        http.post(&format!("{p}/integrations"), &json!({"name": "manual", "provider": "hubspot", "latestRevision": {"specVersion": "1.0.0", "content": {"name": "manual", "provider": "hubspot"}}})).await,
    );
    decode::<r::revisions::CreateRevision>(
        http.post(
            &format!("{p}/integrations/{sf}/revisions"),
            &json!({"sourceYaml": AMP_YAML}),
        )
        .await,
    );
    decode::<r::read::PauseReads>(
        http.send(
            Method::POST,
            &format!(
                "{}{p}/integrations/{sf}/installations/{inst}:pause",
                http.read
            ),
            Auth::Key(&key),
            None,
        )
        .await,
    );
    decode::<r::read::UnpauseReads>(
        http.send(
            Method::POST,
            &format!(
                "{}{p}/integrations/{sf}/installations/{inst}:unpause",
                http.read
            ),
            Auth::Key(&key),
            None,
        )
        .await,
    );
    decode::<r::read::DeliverResults>(
        http.send(
            Method::POST,
            &format!(
                "{}{p}/integrations/{sf}/objects/contact:deliverResults",
                http.read
            ),
            Auth::Key(&key),
            Some(&json!({"groupRef": "g1", "pages": 1})),
        )
        .await,
    );
    decode::<r::orgs::DeleteOrgInvite>(
        http.bearer(
            Method::DELETE,
            &format!("/orgs/{org2}/invites/{invite_id}"),
            None,
        )
        .await,
    );
    decode::<r::jwt_keys::DeleteJwtKey>(http.delete(&format!("{p}/jwt-keys/{kid}")).await);
    decode::<r::api_keys::DeleteApiKey>(http.delete(&format!("{p}/api-keys/{created}")).await);
    decode::<r::destinations::DeleteTopic>(http.delete(&format!("{p}/topics/{topic_id}")).await);
    decode::<r::destinations::DeleteDestination>(
        http.delete(&format!("{p}/destinations/{dest}")).await,
    );
    decode::<r::installations::DeleteInstallation>(
        http.delete(&format!("{p}/integrations/{sf}/installations/{inst}"))
            .await,
    );
    decode::<r::connections::DeleteConnection>(
        http.delete(&format!("{p}/connections/{connection_id}"))
            .await,
    );
    decode::<r::integrations::DeleteIntegration>(
        http.delete(&format!("{p}/integrations/{sf}")).await,
    );
    decode::<r::provider_apps::DeleteProviderApp>(
        http.delete(&format!(
            "{p}/provider-apps/{}",
            app["id"].as_str().unwrap()
        ))
        .await,
    );
    let _ = Bytes::new();
}
