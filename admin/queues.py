"""Work queues and the pages where each item is handled.

Every step is a button on the item's page that posts a form to one endpoint: the endpoint
checks the role (403), loads the item inside the user's jurisdiction (404), validates the
form, calls the workflow with the version the page showed, and commits once. A refused step
says why (someone acted first, the period is still running, a reason is missing ...).
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, request, url_for
from flask_admin import expose
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from admin import forms
from admin.views import StaffView, as_int, not_found, requires
from admin.wording import RECORD_TYPES, rule_text
from credit.extensions import db
from credit.models import (
    APubState,
    DCaseState,
    Grade,
    Listing,
    RepairState,
    User,
)
from credit.permissions import (
    can_evaluate,
    can_evaluate_any,
    can_give_inspection_opinion,
    can_inspect_any,
    can_publish,
    can_publish_any,
    can_read_archives,
    can_review,
    can_review_cases,
    can_see_applications,
    has_work_queue,
)
from credit.services import queues as queue_service
from credit.services.calendar import deadline_is_provisional
from credit.workflows import a_publication, d_listing, is_overdue, repair


def _flash_form_errors(form) -> None:
    for field in form:
        for error in field.errors:
            label = field.label.text if field.label else field.name
            flash(_("%(field)s：%(error)s", field=label, error=error), "error")


class QueueAdmin(StaffView):
    """The queues of the signed-in user's role, and the item pages."""

    def allowed(self, user: User) -> bool:
        # Internal readers open the case, repair and listing pages linked from enterprises.
        return has_work_queue(user) or can_read_archives(user)

    def is_visible(self) -> bool:
        return has_work_queue(current_user)

    # -- lists ---------------------------------------------------------------------------------

    @expose("/")
    def index(self):
        user, today = current_user, self.today()
        available = queue_service.queues_for(user)
        counts = {key: (total, overdue)
                  for key, total, overdue in queue_service.queue_counts(user, today)}
        wanted = request.args.get("q")
        if wanted not in counts:
            wanted = next((q.key for q in available if counts[q.key][0]), None) or (
                available[0].key if available else None)
        queue = queue_service.load_queue(user, wanted, today, counts=counts.get(wanted)) \
            if wanted else None
        return self.render("admin/queues/index.html", queues=available, counts=counts,
                           current=wanted, queue=queue, today=today,
                           can_read=can_read_archives(user))

    # -- A publication applications ------------------------------------------------------------

    def _application(self, item_id):
        if not can_see_applications(current_user):
            from admin.views import forbidden

            forbidden()
        app = queue_service.find_item(current_user, "a_application", as_int(item_id))
        if app is None:
            not_found()
        return app

    def _application_page(self, app, **override):
        user = current_user
        step_forms: dict[str, Any] = {}
        if app.state == APubState.INSPECTION_PENDING and can_give_inspection_opinion(user, app):
            step_forms["inspect"] = override.get("inspect") or forms.InspectionForm(
                version=app.version, formdata=None)
        if app.state == APubState.EVALUATING and can_evaluate(user, app):
            step_forms["evaluate"] = override.get("evaluate") or forms.EvaluationForm(
                version=app.version, formdata=None)
        if app.state == APubState.APPROVED and can_publish(user, app):
            step_forms["publish"] = forms.PlainStepForm(version=app.version, formdata=None)
        return self.render("admin/queues/a_application.html", app=app, forms=step_forms,
                           can_read=can_read_archives(user), today=self.today())

    @expose("/a/<item_id>")
    def application(self, item_id):
        return self._application_page(self._application(item_id))

    def _step(self, obj, form, page, key, act, done):
        """Validate, run the workflow step, commit; back to the item, or the form's errors."""
        if not form.validate_on_submit():
            _flash_form_errors(form)
            return page(obj, **{key: form})
        stale = form.version.data != obj.version
        self.commit_or_flash(lambda: act(form), done, stale=stale)
        return redirect(request.path.rsplit("/", 1)[0])

    @expose("/a/<item_id>/inspect", methods=("POST",))
    @requires(can_inspect_any)
    def application_inspect(self, item_id):
        app = self._application(item_id)
        return self._step(app, forms.InspectionForm(), self._application_page, "inspect",
                          lambda f: a_publication.give_inspection_opinion(
                              current_user, app, f.opinion.data, version=f.version.data),
                          _("已记录检验机构意见，申请转入省级评价。"))

    @expose("/a/<item_id>/evaluate", methods=("POST",))
    @requires(can_evaluate_any)
    def application_evaluate(self, item_id):
        app = self._application(item_id)
        return self._step(app, forms.EvaluationForm(), self._application_page, "evaluate",
                          lambda f: a_publication.evaluate_application(
                              current_user, app, approve=f.approve.data == "yes",
                              reasons=f.reasons.data, version=f.version.data),
                          _("已记录省级评价。"))

    @expose("/a/<item_id>/publish", methods=("POST",))
    @requires(can_publish_any)
    def application_publish(self, item_id):
        app = self._application(item_id)
        return self._step(app, forms.PlainStepForm(), self._application_page, "publish",
                          lambda f: a_publication.publish_application(
                              current_user, app, version=f.version.data),
                          _("已发布守信企业公示，有效期12个月。"))

    # -- D cases -------------------------------------------------------------------------------

    def _case(self, item_id):
        case = queue_service.find_item(current_user, "d_case", as_int(item_id))
        if case is None:
            not_found()
        return case

    def _case_page(self, case, **override):
        user, today = current_user, self.today()
        step_forms: dict[str, Any] = {}
        four_eyes = False
        if case.state == DCaseState.PROPOSED and can_review_cases(user):
            if can_review(user, case):
                step_forms["confirm"] = override.get("confirm") or forms.ConfirmCaseForm(
                    version=case.version, formdata=None)
                step_forms["dismiss"] = override.get("dismiss") or forms.DismissCaseForm(
                    version=case.version, formdata=None)
            else:
                four_eyes = True
        if case.state == DCaseState.CONFIRMED and can_publish(user, case):
            step_forms["notify"] = forms.PlainStepForm(version=case.version, formdata=None)
        ready = case.state in (DCaseState.ANSWERED, DCaseState.ANSWER_CLOSED) or (
            case.state == DCaseState.NOTIFIED and is_overdue(case, today))
        facts = d_listing.disclosable_facts(case)
        if ready and can_publish(user, case):
            form = override.get("decide") or forms.DecideCaseForm(version=case.version,
                                                                  formdata=None)
            self._decide_choices(form, facts)
            step_forms["decide"] = form
        due = queue_service.item_deadline(case, today)
        grade = db.session.scalar(select(Grade.grade).where(Grade.enterprise_id
                                                            == case.enterprise_id))
        return self.render("admin/queues/d_case.html", case=case, forms=step_forms,
                           four_eyes=four_eyes, facts=facts, due=due, grade=grade,
                           today=today, provisional=deadline_is_provisional(case))

    @staticmethod
    def _decide_choices(form, facts) -> None:
        form.reasons.choices = forms.choice_list(
            (code, f"{code} {rule_text(code)}") for code in facts["reasons"])
        form.record_ids.choices = forms.choice_list(
            (r["id"], f"{RECORD_TYPES.get(r['type'], r['type'])} {r['ref']}（{r['date']}）")
            for r in facts["records"])

    @expose("/d/<item_id>")
    @requires(can_read_archives)
    def case(self, item_id):
        return self._case_page(self._case(item_id))

    @expose("/d/<item_id>/confirm", methods=("POST",))
    @requires(can_review_cases)
    def case_confirm(self, item_id):
        case = self._case(item_id)
        return self._step(case, forms.ConfirmCaseForm(), self._case_page, "confirm",
                          lambda f: d_listing.confirm_case(current_user, case, note=f.note.data,
                                                           version=f.version.data),
                          _("已复核确认，等待发布员告知企业。"))

    @expose("/d/<item_id>/dismiss", methods=("POST",))
    @requires(can_review_cases)
    def case_dismiss(self, item_id):
        case = self._case(item_id)
        return self._step(case, forms.DismissCaseForm(), self._case_page, "dismiss",
                          lambda f: d_listing.dismiss_case(current_user, case, note=f.note.data,
                                                           version=f.version.data),
                          _("已复核，不予认定。"))

    @expose("/d/<item_id>/notify", methods=("POST",))
    @requires(can_publish_any)
    def case_notify(self, item_id):
        case = self._case(item_id)
        return self._step(case, forms.PlainStepForm(), self._case_page, "notify",
                          lambda f: d_listing.send_notice(current_user, case,
                                                          version=f.version.data),
                          _("已告知企业，陈述申辩期为10个工作日。"))

    @expose("/d/<item_id>/decide", methods=("POST",))
    @requires(can_publish_any)
    def case_decide(self, item_id):
        case = self._case(item_id)
        form = forms.DecideCaseForm()
        self._decide_choices(form, d_listing.disclosable_facts(case))
        return self._step(case, form, self._case_page, "decide",
                          lambda f: d_listing.decide_case(
                              current_user, case, publish=f.publish.data == "yes",
                              reasons=list(f.reasons.data or ()),
                              record_ids=list(f.record_ids.data or ()),
                              summary=f.summary.data, note=f.note.data,
                              version=f.version.data),
                          _("已作出公示决定。"))

    # -- credit repair -------------------------------------------------------------------------

    def _repair(self, item_id):
        item = queue_service.find_item(current_user, "repair", as_int(item_id))
        if item is None:
            not_found()
        return item

    def _repair_page(self, item, **override):
        user, today = current_user, self.today()
        step_forms: dict[str, Any] = {}
        if can_publish(user, item):
            if item.state == RepairState.APPLIED:
                step_forms["accept"] = forms.PlainStepForm(version=item.version, formdata=None)
                step_forms["refuse"] = override.get("refuse") or forms.RefuseForm(
                    version=item.version, formdata=None)
            elif item.state == RepairState.ACCEPTED:
                step_forms["approve"] = override.get("approve") or forms.ApproveRepairForm(
                    version=item.version, formdata=None)
                step_forms["reject"] = override.get("reject") or forms.RefuseForm(
                    version=item.version, formdata=None)
        return self.render("admin/queues/repair.html", item=item, forms=step_forms,
                           due=queue_service.item_deadline(item, today), today=today,
                           provisional=deadline_is_provisional(item))

    @expose("/repair/<item_id>")
    @requires(can_read_archives)
    def repair(self, item_id):
        return self._repair_page(self._repair(item_id))

    def _repair_step(self, item_id, form_class, key, act, done):
        item = self._repair(item_id)
        return self._step(item, form_class(), self._repair_page, key,
                          lambda f: act(item, f), done)

    @expose("/repair/<item_id>/accept", methods=("POST",))
    @requires(can_publish_any)
    def repair_accept(self, item_id):
        return self._repair_step(item_id, forms.PlainStepForm, "accept",
                                 lambda item, f: repair.accept_repair(
                                     current_user, item, version=f.version.data),
                                 _("已受理信用修复申请，须在15个工作日内核实。"))

    @expose("/repair/<item_id>/refuse", methods=("POST",))
    @requires(can_publish_any)
    def repair_refuse(self, item_id):
        return self._repair_step(item_id, forms.RefuseForm, "refuse",
                                 lambda item, f: repair.refuse_repair(
                                     current_user, item, reasons=f.reasons.data,
                                     version=f.version.data),
                                 _("已决定不予受理。"))

    @expose("/repair/<item_id>/approve", methods=("POST",))
    @requires(can_publish_any)
    def repair_approve(self, item_id):
        return self._repair_step(item_id, forms.ApproveRepairForm, "approve",
                                 lambda item, f: repair.approve_repair(
                                     current_user, item, reasons=f.reasons.data or None,
                                     version=f.version.data),
                                 _("信用修复通过，名单已移出。"))

    @expose("/repair/<item_id>/reject", methods=("POST",))
    @requires(can_publish_any)
    def repair_reject(self, item_id):
        return self._repair_step(item_id, forms.RefuseForm, "reject",
                                 lambda item, f: repair.reject_repair(
                                     current_user, item, reasons=f.reasons.data,
                                     version=f.version.data),
                                 _("信用修复未通过。"))

    # -- listings ------------------------------------------------------------------------------

    def _listing(self, item_id) -> Listing:
        listing = queue_service.find_item(current_user, "listing", as_int(item_id))
        if listing is None:
            not_found()
        return listing

    def _listing_page(self, listing, **override):
        user, today = current_user, self.today()
        step_forms: dict[str, Any] = {}
        if listing.removed_on is None and can_publish(user, listing):
            step_forms["remove"] = override.get("remove") or forms.RemoveListingForm(
                version=listing.version, formdata=None)
        grade = db.session.scalar(select(Grade.grade).where(Grade.enterprise_id
                                                            == listing.enterprise_id))
        return self.render("admin/queues/listing.html", listing=listing, forms=step_forms,
                           due=queue_service.item_deadline(listing, today), grade=grade,
                           today=today)

    @expose("/listing/<item_id>")
    @requires(can_read_archives)
    def listing(self, item_id):
        return self._listing_page(self._listing(item_id))

    @expose("/listing/<item_id>/remove", methods=("POST",))
    @requires(can_publish_any)
    def listing_remove(self, item_id):
        listing = self._listing(item_id)
        return self._step(listing, forms.RemoveListingForm(), self._listing_page, "remove",
                          lambda f: d_listing.remove_listing(current_user, listing,
                                                             note=f.note.data,
                                                             version=f.version.data),
                          _("已将该企业移出名单。"))


MENU_NAME = _l("待办事项")


def queue_url(kind: str, item_id: int) -> str:
    endpoint = {"a_application": "queues.application", "d_case": "queues.case",
                "repair": "queues.repair", "listing": "queues.listing"}[kind]
    return url_for(endpoint, item_id=item_id)
