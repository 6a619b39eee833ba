//! Orgs, their builders, invites, billing and claimed domains. Bearer tokens authenticate as
//! the state's `me` builder.

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::{apply_mask, require, sort_by_create_time, touch};
use crate::reply::{ApiError, HandlerResult, Issue, Reply};
use crate::router::Ctx;
use crate::state::{now, random_hex, s, uuid};
use crate::validate::Check;

fn org_of(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let id = ctx.param("orgId");
    require(ctx.state.orgs.get(&id), "org", &id).cloned()
}

fn me(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    ctx.state
        .me
        .as_ref()
        .and_then(|id| ctx.state.builders.get(id))
        .cloned()
        .ok_or_else(|| {
            ApiError::unauthorized("the Bearer token maps to no builder in this mock's state")
        })
}

/// `POST /orgs`: 201; the caller becomes a member.
pub(crate) fn create(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let label = check.string("label");
    check.finish(ctx.route.invalid)?;
    let id = uuid();
    let org = json!({"id": id, "label": label, "defaultTeamId": uuid(), "createTime": now()});
    ctx.state.orgs.insert(id.clone(), org.clone());
    if let Some(me) = ctx.state.me.clone() {
        ctx.state.memberships.entry(id).or_default().push(me);
    }
    Ok(Reply::created(org))
}

/// `GET /orgs/{orgId}`.
pub(crate) fn get(ctx: &mut Ctx<'_>) -> HandlerResult {
    Ok(Reply::ok(org_of(ctx)?))
}

/// `PATCH /orgs/{orgId}` with `updateMask` over `label`.
pub(crate) fn update(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let mask = check.update_mask(&["label"]);
    check.object("org");
    if !mask.is_empty() {
        check.string("org.label");
    }
    check.finish(ctx.route.invalid)?;
    let stored = ctx.state.orgs.get_mut(s(&org, "id")).expect("found");
    apply_mask(stored, &body["org"], &mask);
    touch(stored);
    Ok(Reply::ok(stored.clone()))
}

/// `GET /orgs/{orgId}/builders`.
pub(crate) fn list_builders(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let members = ctx
        .state
        .memberships
        .get(s(&org, "id"))
        .cloned()
        .unwrap_or_default();
    let items = members
        .iter()
        .filter_map(|id| ctx.state.builders.get(id))
        .cloned()
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}

/// `POST /orgs/{orgId}/invites`: 201 with a pending invite.
pub(crate) fn create_invite(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    if let Some(email) = check.string("email")
        && !email.contains('@')
    {
        check.issue(
            Issue::body("email", "must be an email address").with_value(Value::String(email)),
        );
    }
    check.finish(ctx.route.invalid)?;
    let id = uuid();
    let invite = json!({
        "id": id, "invitedEmail": body["email"], "parentType": "org", "parentId": org["id"],
        "status": "pending", "createTime": now(),
    });
    ctx.state.invites.insert(id, invite.clone());
    Ok(Reply::created(invite))
}

/// `GET /orgs/{orgId}/invites`.
pub(crate) fn list_invites(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let mut items: Vec<Value> = ctx
        .state
        .invites
        .values()
        .filter(|i| s(i, "parentId") == s(&org, "id"))
        .cloned()
        .collect();
    sort_by_create_time(&mut items);
    Ok(Reply::ok(Value::Array(items)))
}

fn invite_of(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let org = org_of(ctx)?;
    let id = ctx.param("inviteId");
    require(
        ctx.state
            .invites
            .get(&id)
            .filter(|i| s(i, "parentId") == s(&org, "id")),
        "invite",
        &id,
    )
    .cloned()
}

/// `GET /orgs/{orgId}/invites/{inviteId}`.
pub(crate) fn get_invite(ctx: &mut Ctx<'_>) -> HandlerResult {
    Ok(Reply::ok(invite_of(ctx)?))
}

/// `DELETE /orgs/{orgId}/invites/{inviteId}`.
pub(crate) fn delete_invite(ctx: &mut Ctx<'_>) -> HandlerResult {
    let invite = invite_of(ctx)?;
    ctx.state.invites.remove(s(&invite, "id"));
    Ok(Reply::no_content())
}

/// `POST /orgs/{orgId}/memberships` (`{builderId}`): 201 with no body.
pub(crate) fn add_user(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let builder = check.string("builderId");
    check.finish(ctx.route.invalid)?;
    let builder = builder.unwrap_or_default();
    require(ctx.state.builders.get(&builder), "builder", &builder)?;
    let members = ctx
        .state
        .memberships
        .entry(s(&org, "id").to_owned())
        .or_default();
    if !members.contains(&builder) {
        members.push(builder);
    }
    Ok(Reply::empty(StatusCode::CREATED))
}

/// The `BuilderInfo` of the caller.
fn builder_info(ctx: &Ctx<'_>) -> Result<Value, ApiError> {
    let builder = me(ctx)?;
    let builder_id = s(&builder, "id").to_owned();
    let orgs: Vec<&String> = ctx
        .state
        .memberships
        .iter()
        .filter(|(_, members)| members.contains(&builder_id))
        .map(|(org, _)| org)
        .collect();
    let mut roles = Map::new();
    for project in ctx.state.projects.values() {
        if orgs.iter().any(|o| o.as_str() == s(project, "orgId")) {
            roles.insert(
                s(project, "id").to_owned(),
                json!({"role": "admin", "principalType": "builder", "principalId": builder_id, "project": project}),
            );
        }
    }
    let mut info = json!({"builder": builder, "projectRoles": roles});
    if let Some(org) = orgs.first().and_then(|o| ctx.state.orgs.get(*o)) {
        info["orgRole"] = json!({"role": "admin", "principalType": "builder", "principalId": builder_id, "org": org});
    }
    Ok(info)
}

/// `GET /my-info`.
pub(crate) fn my_info(ctx: &mut Ctx<'_>) -> HandlerResult {
    Ok(Reply::ok(builder_info(ctx)?))
}

/// `POST /invites:accept` (`{invitedEmail}`): the caller joins the org of the pending invite.
pub(crate) fn accept_invite(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let email = check.string("invitedEmail");
    check.finish(ctx.route.invalid)?;
    let email = email.unwrap_or_default();
    let builder = me(ctx)?;
    let invite = require(
        ctx.state
            .invites
            .values()
            .find(|i| s(i, "invitedEmail") == email && s(i, "status") == "pending")
            .cloned(),
        "pending invite for",
        &email,
    )?;
    let stored = ctx.state.invites.get_mut(s(&invite, "id")).expect("found");
    stored["status"] = Value::String("accepted".into());
    touch(stored);
    let members = ctx
        .state
        .memberships
        .entry(s(&invite, "parentId").to_owned())
        .or_default();
    let builder_id = s(&builder, "id").to_owned();
    if !members.contains(&builder_id) {
        members.push(builder_id);
    }
    Ok(Reply::ok(builder_info(ctx)?))
}

/// `GET /orgs/{orgId}/billingAccount`: created on first use.
pub(crate) fn billing_account(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let org_id = s(&org, "id").to_owned();
    let account = ctx.state.billing_accounts.entry(org_id).or_insert_with(|| {
        json!({
            "id": uuid(), "displayName": org["label"], "billingProvider": "stripe",
            "billingProviderRef": format!("cus_{}", random_hex(7)), "createTime": now(),
        })
    });
    Ok(Reply::ok(account.clone()))
}

/// `POST /billingAccounts/{billingAccountId}/portalSession`: a portal URL.
pub(crate) fn billing_session(ctx: &mut Ctx<'_>) -> HandlerResult {
    let id = ctx.param("billingAccountId");
    require(
        ctx.state
            .billing_accounts
            .values()
            .find(|a| s(a, "id") == id),
        "billing account",
        &id,
    )?;
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    check.string("redirectUrl");
    check.opt_int("timeout", 1, i64::MAX);
    check.finish(ctx.route.invalid)?;
    Ok(Reply::ok(
        json!({"url": format!("{}/billing/{}", ctx.config.origin, random_hex(12))}),
    ))
}

/// `GET /claimed-domains?domain=`: 404 when unclaimed.
pub(crate) fn check_domain(ctx: &mut Ctx<'_>) -> HandlerResult {
    let Some(domain) = ctx.query("domain").map(str::to_owned) else {
        return Err(ApiError::invalid(
            StatusCode::BAD_REQUEST,
            vec![Issue::query("domain", "is required")],
        ));
    };
    let claimed = ctx
        .state
        .claimed_domains
        .values()
        .find(|d| s(d, "domain") == domain)
        .cloned();
    Ok(Reply::ok(require(claimed, "claimed domain", &domain)?))
}

/// `POST /claimed-domains`: 201 with no body; 409 when the domain is claimed.
pub(crate) fn claim_domain(ctx: &mut Ctx<'_>) -> HandlerResult {
    let body = ctx.json()?;
    let mut check = Check::new(&body);
    let domain = check.string("domain");
    let parent_id = check.string("parentId");
    check.string("parentType");
    check.finish(ctx.route.invalid)?;
    let (domain, parent_id) = (domain.unwrap_or_default(), parent_id.unwrap_or_default());
    if ctx
        .state
        .claimed_domains
        .values()
        .any(|d| s(d, "domain") == domain)
    {
        return Err(ApiError::conflict(
            StatusCode::CONFLICT,
            Issue::body("domain", format!("{domain} is already claimed")),
        ));
    }
    if s(&body, "parentType") == "org" {
        require(ctx.state.orgs.get(&parent_id), "org", &parent_id)?;
    }
    let id = uuid();
    ctx.state.claimed_domains.insert(
        id.clone(),
        json!({"id": id, "parentType": body["parentType"], "parentId": parent_id, "domain": domain}),
    );
    Ok(Reply::empty(StatusCode::CREATED))
}

/// `GET /orgs/{orgId}/claimed-domains`.
pub(crate) fn list_domains(ctx: &mut Ctx<'_>) -> HandlerResult {
    let org = org_of(ctx)?;
    let items = ctx
        .state
        .claimed_domains
        .values()
        .filter(|d| s(d, "parentId") == s(&org, "id"))
        .cloned()
        .collect();
    Ok(Reply::ok(Value::Array(items)))
}
