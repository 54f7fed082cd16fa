"""Public pages. Every one reads only the public read model: registration facts through the
search service, listings, certificates and the change feed through
``credit.services.disclosure``. Nothing here can see a grade, a record, a case or an
application, so an enterprise without a live listing looks like any other."""

from __future__ import annotations

import io

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _

from credit import clock
from credit.extensions import db, limiter
from credit.services import disclosure
from credit.services.reports import Contact, submit_report
from credit.services.search import MAX_RESULTS, find_enterprise, search_enterprises
from credit.uscc import is_valid_uscc
from credit.vocabulary import DISTRICTS
from credit.workflows.errors import InvalidInput
from portal import params
from portal.caching import conditional
from portal.chrome import escape_text, framed, mark
from portal.forms import ReportForm
from portal.results import search_results
from portal.safety import safe_next

bp = Blueprint("portal", __name__)

LIST_PER_PAGE = 20


def search_limit() -> str:
    return current_app.config["SEARCH_RATE_LIMIT"]


def report_limit() -> str:
    return current_app.config["REPORT_RATE_LIMIT"]


@bp.errorhandler(params.BadParameter)
def _bad_parameter(exc: params.BadParameter):
    return render_template("portal/error.html", status=400, title=_("请求参数有误"),
                           message=_("参数 %(name)s 的值无法识别，请检查后重试。",
                                     name=exc.name)), 400


@bp.get("/")
def home():
    return conditional(Response(render_template(
        "portal/home.html", counts=disclosure.count_by_kind(),
        latest=disclosure.published_listings(limit=6),
        removals=disclosure.recent_changes(limit=6, change="removed"))))


@bp.get("/search")
@limiter.limit(search_limit)
def search():
    args = params.parse(request.args, {"q": (params.query, ""),
                                       "district": (params.district, None),
                                       "page": (params.page, 1)}, strict=False)
    result, listings, problem = None, {}, None
    if args["q"] and len(args["q"].replace(" ", "")) < 2:
        problem = _("请输入至少2个汉字、2个拼音字母，或统一社会信用代码的前6位以上。")
    elif args["q"]:
        try:
            result = search_enterprises(args["q"], district=args["district"], page=args["page"],
                                        per_page=LIST_PER_PAGE)
        except InvalidInput:
            problem = _("请输入至少2个汉字、2个拼音字母，或统一社会信用代码的前6位以上。")
        else:
            listings = disclosure.listings_of_found(result.by_id())
    # The page is a frame rendered once a language and district; the query, the results and
    # the visitor's own parts go in on every search (portal/chrome.py, framed).
    district = args["district"]
    results = search_results(str(get_locale()), args["q"], district, result, listings, problem,
                             MAX_RESULTS)
    html = framed("portal/search.html", (district,),
                  {"query": escape_text(args["q"]), "results": results},
                  query=mark("query"), results=mark("results"), district=district)
    return html, (400 if problem else 200)


@bp.get("/enterprises/<uscc>")
def enterprise(uscc: str):
    facts = find_enterprise(uscc) if is_valid_uscc(uscc) else None
    if facts is None:
        abort(404)
    listings = disclosure.listing_for(facts.uscc)
    return conditional(Response(render_template(
        "portal/enterprise.html", facts=facts, listings=listings, today=clock.today())))


def _listing_page(kind: str):
    args = params.parse(request.args, {"district": (params.district, None),
                                       "industry": (params.industry, None),
                                       "page": (params.page, 1)}, strict=False)
    page = args["page"]
    rows = disclosure.listed_enterprises(kind, district=args["district"],
                                         industry=args["industry"], limit=LIST_PER_PAGE + 1,
                                         offset=(page - 1) * LIST_PER_PAGE)
    endpoint = "portal.listings_a" if kind == "A" else "portal.listings_d"
    query = {k: v for k, v in args.items() if v and k != "page"}
    return conditional(Response(render_template(
        "portal/listings.html", kind=kind, rows=rows[:LIST_PER_PAGE], args=args,
        has_next=len(rows) > LIST_PER_PAGE, page=page, endpoint=endpoint, query=query,
        districts=DISTRICTS,
        total=disclosure.count_published(kind=kind, district=args["district"])
        if not args["industry"] else None)))


@bp.get("/listings/a")
def listings_a():
    return _listing_page("A")


@bp.get("/listings/d")
def listings_d():
    return _listing_page("D")


@bp.get("/certificates/<token>")
def certificate(token: str):
    cert = disclosure.certificate(token)
    if cert is None:
        abort(404)
    if cert.status != "valid":
        return redirect(url_for("portal.verify", token=token))
    return render_template("portal/certificate.html", cert=cert,
                           verify_url=url_for("portal.verify", token=token, _external=True))


@bp.get("/certificates/<token>/qr.svg")
def certificate_qr(token: str):
    if disclosure.certificate(token) is None:
        abort(404)
    qr = segno.make(url_for("portal.verify", token=token, _external=True), error="m")
    out = io.BytesIO()
    qr.save(out, kind="svg", scale=4, border=2, dark="#000", light="#fff", xmldecl=False,
            svgns=True, title="QR")
    response = Response(out.getvalue(), mimetype="image/svg+xml")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/verify/<token>")
def verify(token: str):
    cert = disclosure.certificate(token)
    if cert is None:
        return render_template("portal/verify.html", cert=None), 404
    return render_template("portal/verify.html", cert=cert)


@bp.get("/about")
def about():
    return render_template("portal/about.html")


@bp.get("/data")
def data():
    return render_template("portal/data.html", districts=DISTRICTS)


@bp.get("/data/api")
def api_docs():
    from portal.openapi import document

    return render_template("portal/api_docs.html",
                           doc=document(request.host_url.rstrip("/")))


@bp.get("/feed.atom")
def feed():
    changes = disclosure.recent_changes(limit=50)
    body = render_template("portal/feed.xml", changes=changes,
                           updated=changes[0].at if changes else None)
    return conditional(Response(body, mimetype="application/atom+xml"))


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(report_limit, methods=["POST"])
def report():
    if request.method == "POST":
        request.max_content_length = current_app.config["REPORT_MAX_BYTES"]
    form = ReportForm()
    if form.validate_on_submit():
        try:
            filed = submit_report(
                form.enterprise.data, form.category.data, form.description.data,
                occurred_on=form.occurred_on.data,
                contact=Contact(form.contact_name.data, form.contact_phone.data,
                                form.contact_email.data))
        except InvalidInput:
            db.session.rollback()
            flash(_("举报内容不完整，请检查后重新提交。"), "error")
        else:
            db.session.commit()
            session["report_receipt"] = filed.receipt
            return redirect(url_for("portal.report_received"))
    status = 400 if request.method == "POST" else 200
    return render_template("portal/report.html", form=form), status


@bp.get("/report/received")
def report_received():
    receipt = session.pop("report_receipt", None)
    if receipt is None:
        return redirect(url_for("portal.report"))
    return render_template("portal/report_received.html", receipt=receipt)


@bp.get("/_bare")
def bare():
    """A constant template: the benchmark's yardstick for the framework's own cost."""
    return render_template("portal/bare.html")


@bp.get("/lang/<code>")
def set_language(code: str):
    """Switch the interface language, then go back where the visitor was."""
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(request.args.get("next"), url_for("portal.home")))
