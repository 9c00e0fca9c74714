"""Admin → Users: the agents and admins, adding one (invited by the ``account_created``
system email with a set-password link, see :mod:`appliance.helpdesk.accounts`), and
turning a login off or on again."""
from __future__ import annotations

import bottle

from appliance.helpdesk import accounts, templates
from appliance.helpdesk.models import Person, User
from appliance.webadmin import security
from appliance.webadmin.pages import done, render

FIELDS = {"email": "Email address", "name": "Name", "role": "Role"}   # as users.html labels


def routes(app: bottle.Bottle, cfg) -> None:
    admin = {"role": "admin"}

    def page(values=None, error=None):
        rows = (User.select(User, Person).join(Person)
                .order_by(User.active.desc(), Person.email))
        return render("users.html", users=rows, values=values or {"role": "agent"},
                      error=error, invite_on=templates.get("account_created").enabled,
                      valid_hours=accounts.INVITE_VALID_HOURS,
                      me=security.current_user())

    def _user(user_id: int) -> User:
        return User.get_or_none(User.id == user_id) or bottle.abort(404, "No such user.")

    @app.get("/admin/users", **admin)
    def users():
        return page()

    @app.post("/admin/users", **admin)
    def add_user():
        form = bottle.request.forms
        values = {"email": (form.getunicode("email") or "").strip(),
                  "name": (form.getunicode("name") or "").strip(),
                  "role": form.getunicode("role") or ""}
        try:
            # the link comes from web.public_url, never from this request's Host
            added = accounts.add_user(cfg, values["email"], values["name"], values["role"])
        except accounts.AccountError as exc:
            bottle.response.status = 400
            label = f"{FIELDS[exc.field]}: " if exc.field in FIELDS else ""
            return page(values, f"Not added: {label}{exc}.")
        if added.invited:
            done(f"{added.email} added as {values['role']}. The invitation with a link to "
                 f"choose a password is on its way (the link works for "
                 f"{accounts.INVITE_VALID_HOURS} hours).", "/admin/users")
        done(f"{added.email} added as {values['role']}, but no invitation was sent: the "
             f"“Account created” system email is turned off. Turn it on in the Message "
             f"center, or ask them to use “Forgot your password?” on the login page.",
             "/admin/users")

    @app.post("/admin/users/<user_id:int>/deactivate", **admin)
    def deactivate(user_id):
        user = _user(user_id)
        try:
            accounts.deactivate(user, by=security.current_user())
        except accounts.AccountError as exc:
            done(f"Not deactivated: {exc}.", "/admin/users")
        done(f"{user.person.email} can no longer log in; their items and messages stay.",
             "/admin/users")

    @app.post("/admin/users/<user_id:int>/activate", **admin)
    def activate(user_id):
        user = _user(user_id)
        accounts.activate(user)
        done(f"{user.person.email} can log in again.", "/admin/users")
