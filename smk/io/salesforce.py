"""Salesforce exports -> the canonical model, and the inverse writer used by the generator.

A Salesforce export is a folder with one file per object, named after the object's API name
(`Lead.csv`, `Contact.csv`, `Account.csv`, `Opportunity.csv`, `OpportunityContactRole.csv`,
`Campaign.csv`, `CampaignMember.csv`, `Task.csv`, `Event.csv`, `LeadHistory.csv`;
`lead_export.csv`, `Leads.xlsx` work too; a report download named `report<epoch>.csv` is
recognised by its column labels).
Three shapes of file are read by the same code, because every column is found through an alias
list (API name, report label, common variants) with the mapping machinery of `smk.io.mapping`:

- Data Loader / API extracts: API names, ISO datetimes `2024-01-22T20:36:47.000+0000`, `1`/empty
  booleans, 18-character ids, a UTF-8 BOM; "Export All" also writes deleted rows (`IsDeleted`).
- Report exports: field labels (`Lead ID`, `Lead Source`, `Converted Date`), every value quoted,
  dates in the user's locale and time zone (pass ``timezone=``), 15-character ids and a footer
  (`Grand Totals (N records)`, `Confidential Information - Do Not Distribute`, copyright line).
- US-locale Excel re-saves: `02/23/26 08:55 PM`, `TRUE`/`FALSE`, often Windows-1252.

All ids are normalised to the 18-character form, so a 15-character id from a report joins the
18-character id of an API extract (`000000000000000AAA`, an empty lookup, becomes empty).

How Salesforce maps onto the model (rules a user can check):

- **One person, one contact.** Unconverted Leads and Contacts are contacts. A converted Lead
  (`IsConverted`) and the Contact it became (`ConvertedContactId`) are one person: the contact
  keeps the Contact's id and details (e-mail, owner, account, country, title; the Lead's where
  the Contact has none), and the Lead row is set aside with the reason
  ``converted lead merged into contact`` (so read == loaded + set aside still holds), with
  ``_merged_into`` its `ConvertedContactId`, as a merged duplicate's survivor. The
  person's history is the union of its records (the Contact and every Lead converted into
  it), as duplicate e-mails are merged: ``created_at`` / ``became_lead_at`` and each stage
  date are the earliest the records hold, ``original_source`` the LeadSource of the earliest
  created record (of the next one when it has none). So the usual conversion (a Lead, then the
  Contact it became) takes the Lead's creation and source, and a new Lead converted into an
  older Contact does not rewrite the Contact's history. If the
  Contact is not in the export, the Lead row itself is loaded under the Contact's id; if the
  export holds the Contact but marks it deleted, the person is deleted: the Lead row is set
  aside as ``converted lead of a deleted contact``. Rows of
  other objects that point at the Lead id (campaign members, tasks) are re-pointed at the
  contact; its Lead id is kept in the extra column ``salesforce_lead_id``. A converted Lead
  marked deleted whose Contact is live is set aside as deleted, but the person lives: its
  campaign members, tasks and converted opportunity are still re-pointed at the contact.
- **Stage dates.** Salesforce has no standard MQL date: the custom fields `MQL_Date__c` and
  `SQL_Date__c` (report labels "MQL Date", "SQL Date") are read when present, on the Lead or the
  Contact. An org without them keeps its timing in **LeadHistory** (field history tracking on
  Lead.Status: `Id, LeadId, CreatedById, CreatedDate, Field, OldValue, NewValue, DataType,
  IsDeleted`): a row whose `Field` is `Status` (any case; a report shows the label
  `Lead Status`) is the moment the lead entered the status `NewValue`, read with the Lead
  Status vocabulary (`LEAD_STATUS_STAGE`). The first moment a lead entered a status that maps
  to mql is its MQL date, to sql its SQL date. A lead that went from `Working` straight to
  `Qualified` gets an SQL date and no MQL date: the loader invents no date, the funnel counts
  it as an MQL from its SQL date (`smk.funnel`, skipped stages; an inferred MQL). A status the
  vocabulary does not know dates nothing, and a warning names it. The history of a converted
  Lead is its contact's (lead ids re-pointed as for tasks). When a person has a custom date
  and a history date of a stage, the earlier wins: each stage date is the earliest a person's
  records hold (as for a Lead and its Contact), and a workflow that stamps `MQL_Date__c`
  overwrites it when a lead enters MQL again, while the history keeps the first entry. A
  custom date of the Date type (`SQL_Date__c` 2026-03-10) on the day of an earlier stage's
  time (`MQL_Date__c` 2026-03-10 14:00) is that moment, as in every format
  (`validate._stage_dates_in_order`), not the midnight before it.
  Every LeadHistory row is counted in the contacts' account, set aside as converted Lead rows
  are: a Status change as ``lead status change read into contact`` and a change of another
  field (`Owner`, `created`, `leadConverted`, ...) as ``lead history of another field`` (both
  by design), a deleted row as ``deleted in Salesforce``, one of a deleted lead or contact as
  ``contact_id deleted in the CRM``; faults: ``unknown LeadId`` (a lead the export does not
  hold), ``missing LeadId``, ``unparseable CreatedDate``, ``missing CreatedDate``; a Status
  change of a person the checks then set aside for a fault of its own row (``unparseable
  created_at``, ...) is ``lead status change of a contact set aside`` (by design: the fault is
  counted on the person's row). A history row is told in the account by ``salesforce_object``
  ``LeadHistory`` and keeps its lead's id in ``salesforce_lead_id``. A row whose ``Id`` another
  history file holds too (two downloads) is read once, from the file exported last by its name
  (else the first read); its other copies are ``older copy of a record in a later export``. A report
  download of the history is told by its labels ("Lead ID" and "New Value"; "Changed Field",
  "Old Value", "Created Date", "Deleted" are the field reference's labels; "Field / Event"
  and "Edit Date", the history report type's columns, are read too).
  A converted Lead without an SQL date (custom or from its history) became an SQL on its
  `ConvertedDate`, a date: on the day of the Lead's MQL date (or of its creation), at that
  moment rather than the midnight before it (a conversion on the MQL's day was not before the
  MQL).
  ``became_opportunity_at`` is the CreatedDate of the person's first opportunity and
  ``became_customer_at`` the close date of the first won one, of the opportunities loaded: one
  set aside (`negative amount`, `unknown account_id`, `closed_at before created_at`, a
  duplicate, ...) makes no one an opportunity or a customer. Neither date is before the
  person's ``created_at`` (the earliest of its records): a person added to an older
  opportunity (a contact role, a ContactId set later) became an opportunity, or a customer,
  when it was created, so the funnel fills no stage before the person existed
  (`DealDates.from_creation`). They are set once `assemble` has
  checked the deals (its `after_checks`, `deal_dates.DealDates`); a warning counts the opportunities set
  aside that would have given a contact an earlier or a missing date, with their reasons, and
  those contacts. A person is linked to an
  opportunity by `Opportunity.ContactId` (of the row loaded, when the opportunity has several:
  a duplicate, an older copy), `OpportunityContactRole` or the Lead's `ConvertedOpportunityId`;
  an opportunity that names no one so, on a person account, is its person's (below). A person
  the export marks deleted is an opportunity's contact only when no live one is linked to it
  (Salesforce clears a lookup to a deleted record); the checks then load the opportunity, live
  itself, with no contact (`validate._clear_deleted_parents`), as one of a deleted account.
  An opportunity linked to several people keeps them all, `;`-separated as HubSpot's
  `Associated Contact IDs`, in ``contact_ids_all`` (its ``contact_id`` first): pipeline from
  MQLs reads them all (`smk.sla.deal_contacts`), whatever the order of its contact roles.
- **Person accounts** (B2C: an Account that is a person, with a Contact of its own). Its person
  is the Account's `PersonContactId`, else the only Contact of an account that
  `IsPersonAccount` (the Account's or the Contact's) calls a person account, of the contacts
  the export holds (`_person_accounts`). An opportunity on it that names no one (above) is that
  person's, and so is a Task or Event logged on it without a `WhoId`.
- **Lifecycle stage** is the furthest stage reached: the latest stage with a date, raised by
  the Lead's Status when it says more (`Qualified`, `Closed - Converted`, `SQL` -> sql; `MQL`,
  `Marketing Qualified` -> mql; `Open - Not Contacted`, `Working - Contacted`, `Nurturing`
  -> lead; a status the vocabulary does not list by its first words, `lead_status_stage`:
  `Disqualified - No Budget` other, `MQL - Webinar` mql; any other is warned of, with its
  count). A disqualified Lead (`Closed - Not Converted`, `Unqualified`, `Disqualified`) is
  `other`, as HubSpot's stage for it, unless it reached an opportunity (a loaded one: a person
  whose only deals were set aside has the stage its Lead or Contact gives): its stage dates stay
  (it counts as a lead created, and as an MQL when it was one), and its MQL counts as rejected
  (`smk.sla`). A status never invents a date.
- **Accounts.** ``account_id`` is `Contact.AccountId` (for a converted Lead also its
  `ConvertedAccountId`). An unconverted Lead gets the account whose name equals its `Company`
  (trimmed, case-insensitive) when exactly one account has that name (lead-to-account matching);
  a name several accounts share is not guessed: those leads have no account, and a warning
  counts them and names a few such companies.
- **As a new lead** (what lead scoring reads, `smk.model.AS_LEAD_COLUMNS`): a person that began
  as a Lead (open, or converted with its Lead created no later than its Contact) has in
  ``salesforce_lead_account_id`` the account its `Company` names by that same rule, converted
  or not (`ConvertedAccountId` and the Contact are known only at conversion, after its scoring
  date), in ``salesforce_lead_job_title`` / ``salesforce_lead_country`` the Lead's `Title` /
  `Country`; any other person its Contact's own `AccountId`, `Title`, `MailingCountry`.
- **Sources.** `LeadSource` values map onto the channel vocabulary (`LEAD_SOURCE_CHANNEL`); the
  raw value is ``original_source_detail``.
- **Deals** come from Opportunity. The pipeline is the opportunity's record type, its sales
  process: `RecordType.Name` (report label "Opportunity Record Type"), else `RecordTypeId` (a
  Data Loader export without the relationship field: each record type is still a pipeline of
  its own, named by its id, as a HubSpot export's `deal_pipeline_id`). An export with neither
  has every opportunity in one pipeline, unnamed (an empty ``pipeline``, as a HubSpot export
  without Pipeline). `Type` (`New Customer`, `Existing Customer - Upgrade`, ...) says what kind
  of deal it is, as HubSpot's Deal Type, not its pipeline: it is kept as an extra column.
  `CloseDate` is ``closed_at`` only for closed opportunities (for open ones it is the expected
  date and stays in the extra column `CloseDate`). `CloseDate` is a date, read as 00:00 UTC of
  its day whatever the time zone: when it is the day the
  opportunity was created (in the export's time zone), ``closed_at`` is the creation moment
  rather than that midnight (`parse.on_day_of`); in a load in UTC, also when it is the day
  before a creation before 12:00 UTC (the evening before west of UTC), with a warning naming
  `--timezone` (`validate._closed_on_creation_day`). `IsClosed`/`IsWon` are derived from the
  stage name when the export lacks them (a report without "Closed" and "Won") or a file leaves
  the column empty in every row (with a warning; an empty cell of a column with values is
  false, as API extracts write a false checkbox), by HubSpot's
  rules (`Won - Renewal` won, `Lost - Competitor` lost), with Salesforce's default open stages
  known open (`_stage_rules`); the opportunities at a stage that says neither (`Contract
  Signed`) are taken as open, with a warning counting them by stage, as a mapping file's.
  An "Opportunities with Contact Roles" report (`Role` beside the opportunity's columns, a
  row per opportunity and role) is read as the opportunities, each from its primary role's
  row (else its first, over all the files of a report split in several), and as their
  contact roles; its other rows are set aside by design (``another contact role of an
  opportunity``), with a warning (`_report_roles`). A report download is read so only when it
  has the columns a deal needs (`Created Date`) and no other file of the export holds the
  opportunities; else it is read as their contact roles alone, as an OpportunityContactRole
  file (beside the opportunities' file with a warning: `_roles_beside_opportunities`).
- **Accounts' revenue** is read as written: a multi-currency org's AnnualRevenue, in each
  account's `CurrencyIsoCode`, is not converted; a warning names the currencies.
- **Touchpoints** are campaign responses: `CampaignMember` rows joined to `Campaign`. A member
  that did not respond is set aside (``campaign member did not respond``); a member of a campaign
  missing from a present Campaign file is set aside (``unknown campaign``). ``occurred_at`` is
  `FirstRespondedDate` (a date), or the member's CreatedDate when that falls on the same day,
  or when `HasResponded` is set and its `FirstRespondedDate` blank while other members have
  one (warned; a column blank throughout dates no response: ``missing occurred_at``).
  The channel comes from `Campaign.Type` (`CAMPAIGN_TYPES`), the touch type from the member
  status when it names an action (`Clicked`, `Attended`, ...) and otherwise from the type.
- **Activities** are Tasks (call / email / task, from `TaskSubtype` then `Type`) and Events
  (meetings). ``contact_id`` is `WhoId` (lead ids re-pointed); a Task or Event with no `WhoId`
  whose `WhatId` is an opportunity (`006...`) belongs to that opportunity's contact: the
  contact of its loaded row, as the checks chose it (the newest copy of an opportunity in
  several exports, a later sound row of a faulty first one; `_credit_loaded_deals`), before
  the activities' checks, which check that contact as any activity's. Of an
  opportunity set aside altogether (`negative amount`, ...), the contact its first row read
  (not marked deleted) names keeps the activity, with the opportunity as its ``deal_id``, as
  an activity whose `WhoId` names that person does: it is still sales work on a person the
  export holds, and an activity's ``deal_id`` is not checked against the deals. One without a
  `WhoId` whose `WhatId` is a person account is its person's; one on a business account (the
  export says so: its `IsPersonAccount`, `PersonContactId` or its Contacts' `IsPersonAccount`)
  is work on a company, of no person: set aside as ``logged on an account, no person`` (by
  design). One on a person account whose person is not among the export's contacts (a
  filtered Contact export, or none) is set aside as ``person of a person account not in the
  export``, and one on an account the export does not say is either (no such column, as in a
  report) as ``missing contact_id``: faults of the export. A warning counts the former with
  the opportunities on such accounts that name no one (they load with no contact). One with
  neither a `WhoId` nor a `WhatId`, in an export with both columns, is an internal calendar
  item or a personal to-do ("Vacation", "Team weekly"): set aside as ``related to no person
  or record`` (by design; a report without the columns does not say: ``missing contact_id``).
  One without a `WhoId` whose `WhatId` is a record of another object (a Case `500...`, a
  Contract `800...`, a Campaign `701...`, a custom object) is support or contract work on it,
  of no lead's funnel: set aside as ``logged on another record, no person`` (by design). A
  `WhatId` that is a lead or contact (`00Q...`, `003...`; Salesforce writes a person in the
  `WhoId`) is no such record: without a `WhoId`, that row is ``missing contact_id``.
  An Event's ``occurred_at`` is when it is held, as a HubSpot meeting's: its start
  (`ActivityDateTime`, else `StartDateTime`, else `ActivityDate`); an all-day event's
  (`IsAllDayEvent`) its `ActivityDate`, date-only (the SLA reads it as the team's local day);
  its CreatedDate only when the export has no start. A meeting booked before an MQL and held
  after it answers the MQL when it is held, and one held after the as-of is not yet work.
  A Task's ``occurred_at`` is its completion time when its export has `CompletedDateTime` (a
  standard field since API v49; report label "Completed Date/Time"), as a HubSpot task's: a
  follow-up created by automation the minute a lead became an MQL and done days later counts
  when it was done, not when it was created. A blank completion time (or none in the export)
  falls back to CreatedDate (the moment the work was logged), then the activity date (its due
  date), and a warning counts the done tasks loaded without one and asks for the column; an
  unreadable one sets the task aside (``unparseable occurred_at``, with its text). A Task not
  done (its `Status` open, e.g. `Not Started`, `In Progress`, `Deferred`, or `IsClosed` false
  for a status not in `TASK_STATUS_DONE`) is a reminder, not sales work: it is set aside as
  ``task not done`` (by design), so an auto-created follow-up nobody has done never counts as
  a first touch.
- Rows with `IsDeleted` set are set aside (``deleted in Salesforce``); report footer lines are
  set aside as ``report footer``.
- **Spend** is read from a `spend.csv` with the canonical columns (month, channel, campaign,
  amount, currency), if the folder has one.

`write_salesforce` is the inverse (see its docstring); `load_salesforce(write_salesforce(crm))`
reproduces the contacts, accounts, deals, touchpoints and activities of a consistent CRM, as far
as Salesforce can hold them (of the touchpoints, one per campaign and person, none dated before
its person's Lead or Contact was created).
"""

from __future__ import annotations

import csv
import hashlib
import re
from collections import Counter
from concurrent.futures import Executor, Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from smk import periods
from smk.checks import checked_tables
from smk.errors import CRMExportError
from smk.io import files as fileio
from smk.io import parse
from smk.io.canonical import stage_rules
from smk.io.deal_dates import DEAL_DATES, DealDates, dates_of
from smk.io.deal_dates import row_keys as _row_keys
from smk.io.mapping import (
    MULTI_SEPARATOR,
    TASK_STATUS_DONE,  # Task.Status -> done or not (shared with HubSpot's task status)
    TableMapping,
    _iso_text,
    _tasks_words,
    data_files,
    map_frame,
    read_whole,
    task_done,
    translate,
    untold_warning,
    with_unread,
)
from smk.io.validate import AfterChecks, EventStep, assemble, export_key, is_in
from smk.model import (
    ACCOUNT_ACTIVITY,
    ACTIVITY_TYPES,
    AS_LEAD_COLUMNS,
    CONTACT_LISTS,
    CONVERTED_INTO_DELETED,
    CRM,
    DELETED_IN_SALESFORCE,
    INTERNAL_ACTIVITY,
    LEAD_HISTORY_ROWS,
    LEAD_OTHER_FIELD,
    LEAD_STATUS_OF_SET_ASIDE,
    LEAD_STATUS_READ,
    MERGED_CONVERTED_LEAD,
    NO_RESPONSE,
    OLDER_COPY,
    OTHER_CONTACT_ROLE,
    OTHER_RECORD_ACTIVITY,
    PARENT_DELETED,
    REQUIRED,
    STAGES,
    TASK_NOT_DONE,
    TOUCH_TYPES,
    DataQuality,
)

FORMAT = "salesforce"

# ----------------------------------------------------------------------------- vocabularies
#: Lead.LeadSource / Contact.LeadSource -> channel. Salesforce's default picklist values plus the
#: values orgs commonly add. Matching ignores case and spacing.
LEAD_SOURCE_CHANNEL: dict[str, str] = {
    "Web": "direct",
    "Website": "direct",
    "Direct": "direct",
    "Direct Traffic": "direct",
    "Online Form": "direct",
    "Web Form": "direct",
    "Organic Search": "organic_search",
    "SEO": "organic_search",
    "Search Engine": "organic_search",
    "Paid Search": "paid_search",
    "PPC": "paid_search",
    "SEM": "paid_search",
    "Google Ads": "paid_search",
    "Google AdWords": "paid_search",
    "Email": "email",
    "Email Marketing": "email",
    "Newsletter": "email",
    "Social": "organic_social",
    "Social Media": "organic_social",
    "Organic Social": "organic_social",
    "Paid Social": "paid_social",
    "Social Ads": "paid_social",
    "LinkedIn Ads": "paid_social",
    "Facebook Ads": "paid_social",
    "Partner Referral": "referral",
    "Employee Referral": "referral",
    "External Referral": "referral",
    "Customer Referral": "referral",
    "Referral": "referral",
    "Partner": "referral",
    "Word of mouth": "referral",
    "Trade Show": "offline",
    "Seminar - Internal": "offline",
    "Seminar - Partner": "offline",
    "Seminar Partner": "offline",
    "Conference": "offline",
    "Event": "offline",
    "Webinar": "offline",
    "Phone Inquiry": "offline",
    "Cold Call": "offline",
    "Purchased List": "offline",
    "List Import": "offline",
    "Direct Mail": "offline",
    "Advertisement": "other_campaigns",
    "Banner Ads": "other_campaigns",
    "Display": "other_campaigns",
    "Public Relations": "other_campaigns",
    "Content Syndication": "other_campaigns",
    "Other": "other",
}
#: The LeadSource the writer uses for each channel (each maps back to its channel).
CHANNEL_LEAD_SOURCE: dict[str, str] = {
    "organic_search": "Organic Search",
    "paid_search": "Paid Search",
    "email": "Email",
    "organic_social": "Social",
    "paid_social": "Paid Social",
    "referral": "External Referral",
    "direct": "Web",
    "offline": "Trade Show",
    "other_campaigns": "Advertisement",
    "other": "Other",
}
#: Campaign.Type -> (channel, default touch type). Salesforce's default types (Conference,
#: Webinar, Trade Show, Public Relations, Partners, Referral Program, Advertisement, Banner Ads,
#: Direct Mail, Email, Telemarketing, Other) and common additions.
CAMPAIGN_TYPES: dict[str, tuple[str, str]] = {
    "Email": ("email", "email_click"),
    "Email Marketing": ("email", "email_click"),
    "Newsletter": ("email", "email_click"),
    "Webinar": ("offline", "event"),
    "Conference": ("offline", "event"),
    "Trade Show": ("offline", "event"),
    "Tradeshow": ("offline", "event"),
    "Seminar / Conference": ("offline", "event"),
    "Seminar": ("offline", "event"),
    "Event": ("offline", "event"),
    "Events": ("offline", "event"),
    "Roadshow": ("offline", "event"),
    "Direct Mail": ("offline", "other"),
    "Telemarketing": ("offline", "other"),
    "Print": ("offline", "other"),
    "Paid Search": ("paid_search", "ad_click"),
    "PPC": ("paid_search", "ad_click"),
    "SEM": ("paid_search", "ad_click"),
    "Google Ads": ("paid_search", "ad_click"),
    "SEO": ("organic_search", "visit"),
    "Organic Search": ("organic_search", "visit"),
    "Social": ("organic_social", "visit"),
    "Social Media": ("organic_social", "visit"),
    "Organic Social": ("organic_social", "visit"),
    "Paid Social": ("paid_social", "ad_click"),
    "Social Ads": ("paid_social", "ad_click"),
    "Referral Program": ("referral", "visit"),
    "Referral": ("referral", "visit"),
    "Partners": ("referral", "other"),
    "Partner": ("referral", "other"),
    "Website": ("direct", "visit"),
    "Direct Traffic": ("direct", "visit"),
    "Direct": ("direct", "visit"),
    "Advertisement": ("other_campaigns", "ad_click"),
    "Banner Ads": ("other_campaigns", "ad_click"),
    "Display": ("other_campaigns", "ad_click"),
    "Display Ads": ("other_campaigns", "ad_click"),
    "Web Marketing": ("other_campaigns", "visit"),
    "Content Syndication": ("other_campaigns", "content"),
    "Public Relations": ("other_campaigns", "other"),
    "Other": ("other", "other"),
}
#: The Campaign.Type the writer uses for each channel.
CHANNEL_CAMPAIGN_TYPE: dict[str, str] = {
    "organic_search": "SEO",
    "paid_search": "Paid Search",
    "email": "Email",
    "organic_social": "Social Media",
    "paid_social": "Paid Social",
    "referral": "Referral Program",
    "direct": "Website",
    "offline": "Trade Show",
    "other_campaigns": "Advertisement",
    "other": "Other",
}
#: CampaignMember.Status values that name what the person did (statuses are set per campaign).
MEMBER_STATUS_TOUCH: dict[str, str] = {
    "Visited": "visit",
    "Visited Website": "visit",
    "Submitted Form": "form",
    "Form Submitted": "form",
    "Filled Out Form": "form",
    "Registered": "form",
    "Clicked": "email_click",
    "Clicked Email": "email_click",
    "Clicked Ad": "ad_click",
    "Ad Click": "ad_click",
    "Attended": "event",
    "Attended On-Demand": "event",
    "Visited Booth": "event",
    "Downloaded": "content",
    "Downloaded Content": "content",
    "Chatted": "chat",
}
_TOUCH_MEMBER_STATUS: dict[str, str] = {
    "visit": "Visited",
    "form": "Submitted Form",
    "email_click": "Clicked",
    "ad_click": "Clicked Ad",
    "event": "Attended",
    "content": "Downloaded",
    "chat": "Chatted",
    "other": "Responded",
}
#: Lead.Status -> the stage it shows (org-specific values vary; unknown values say nothing).
LEAD_STATUS_STAGE: dict[str, str] = {
    "Open - Not Contacted": "lead",
    "Open": "lead",
    "New": "lead",
    "Working - Contacted": "lead",
    "Working": "lead",
    "Contacted": "lead",
    "Attempted to Contact": "lead",
    "Nurturing": "lead",
    "Nurture": "lead",
    "Closed - Not Converted": "other",
    "Unqualified": "other",
    "Disqualified": "other",
    "Not Qualified": "other",
    "MQL": "mql",
    "Marketing Qualified": "mql",
    "Marketing Qualified Lead": "mql",
    "SQL": "sql",
    "Sales Qualified": "sql",
    "Sales Qualified Lead": "sql",
    "Qualified": "sql",
    "Closed - Converted": "sql",
    "Converted": "sql",
}
#: A Lead Status `LEAD_STATUS_STAGE` does not know (an org's own picklist value) read by its
#: first words, any case: `Disqualified - No Budget` is other; `MQL - Webinar` mql and
#: `SQL - Accepted` sql unless a word says it was not (`MQL - Rejected`, `SQL Recycled`: no
#: stage); `New - Not Contacted`, `Working - Hot` lead (which raises no stage: no warning).
_STATUS_WORDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^\s*(?:new|open|working|contacted|attempt\w*|nurtur\w*)\b", re.I), "lead"),
    (re.compile(r"^\s*(?:disqualified|unqualified|not qualified)\b", re.I), "other"),
    (re.compile(r"^\s*(?:mql|marketing qualified)\b", re.I), "mql"),
    (re.compile(r"^\s*(?:sql|sales qualified)\b", re.I), "sql"),
)
_STATUS_UNSAID = re.compile(
    r"\b(?:not|no|non|reject\w*|recycl\w*|disqualif\w*|unqualif\w*|lost|dead|junk)\b", re.I
)
_TASK_SUBTYPE: dict[str, str] = {
    "Call": "call",
    "Email": "email",
    "ListEmail": "email",
    "List Email": "email",
}
_TASK_TYPE: dict[str, str] = {
    "Call": "call",
    "Email": "email",
    "Meeting": "meeting",
    "Send Letter": "task",
    "Send Quote": "task",
    "To Do": "task",
    "Other": "task",
}

#: Opportunity.StageName: the open stages of a new org's picklist. With HubSpot's default
#: stages (`canonical.stage_rules`) they are the stages known open when the export has no
#: IsClosed (`_stage_rules`); another stage the rule does not call closed is warned of.
OPEN_STAGES: list[str] = [
    "Prospecting",
    "Qualification",
    "Needs Analysis",
    "Value Proposition",
    "Id. Decision Makers",
    "Perception Analysis",
    "Proposal/Price Quote",
    "Negotiation/Review",
]
#: what the warning of opportunities at stages smk cannot tell open from closed advises
_STAGE_REMEDY = (
    'export Opportunity.IsClosed and IsWon with the opportunities ("Closed" and "Won" in an '
    "opportunity report)"
)


def _stage_rules() -> dict[str, dict]:
    """IsClosed / IsWon from StageName when the export lacks them, by HubSpot's rules
    (`canonical.stage_rules`: closed is a stage that starts with `closed` or the word won or
    lost, `Won - Renewal`, `Lost - Competitor`; won holds `closed won` or starts with the word
    won), with Salesforce's default open stages (`OPEN_STAGES`) known open too."""
    rules = stage_rules()
    closed = rules["is_closed"]
    return {**rules, "is_closed": {**closed, "false_for": [*closed["false_for"], *OPEN_STAGES]}}


# ----------------------------------------------------------------------------- objects
_DELETED = ["IsDeleted", "Deleted"]
_CREATED = ["CreatedDate", "Created Date", "Create Date"]
_OWNER = ["OwnerId", "Owner ID"]
_PERSON_ACCOUNT = ["IsPersonAccount", "Is Person Account", "Person Account"]


@dataclass(frozen=True)
class _Object:
    """One Salesforce object: the aliases of its columns and which of them hold ids."""

    table: str  # canonical table (for map_frame's required-column check) or the object name
    mapping: TableMapping
    ids: tuple[str, ...]
    required: tuple[str, ...] = ()


def _tm(columns: dict[str, list[str]], **kw) -> TableMapping:
    return TableMapping(columns=columns, **kw)


_OBJECTS: dict[str, _Object] = {
    "Lead": _Object(
        "contacts",
        _tm(
            {
                "contact_id": ["Id", "Lead ID"],
                "email": ["Email"],
                "created_at": _CREATED + ["Lead Created Date"],
                "original_source_detail": ["LeadSource", "Lead Source"],
                "owner_id": _OWNER + ["Lead Owner ID", "Lead Owner", "Owner"],
                "country": ["Country", "CountryCode", "Country Code"],
                "job_title": ["Title", "Job Title"],
                "Company": ["Company", "Company / Account"],
                "Status": ["Status", "Lead Status"],
                "IsConverted": ["IsConverted", "Converted", "Is Converted"],
                "ConvertedDate": ["ConvertedDate", "Converted Date"],
                "ConvertedContactId": ["ConvertedContactId", "Converted Contact ID"],
                "ConvertedAccountId": ["ConvertedAccountId", "Converted Account ID"],
                "ConvertedOpportunityId": ["ConvertedOpportunityId", "Converted Opportunity ID"],
                "MQL_Date__c": ["MQL_Date__c", "MQL Date", "MQL_Date", "Marketing Qualified Date"],
                "SQL_Date__c": ["SQL_Date__c", "SQL Date", "SQL_Date", "Sales Qualified Date"],
                "IsDeleted": _DELETED,
            }
        ),
        (
            "contact_id",
            "owner_id",
            "ConvertedContactId",
            "ConvertedAccountId",
            "ConvertedOpportunityId",
        ),
    ),
    "Contact": _Object(
        "contacts",
        _tm(
            {
                "contact_id": ["Id", "Contact ID"],
                "email": ["Email"],
                "account_id": ["AccountId", "Account ID"],
                "created_at": _CREATED + ["Contact Created Date"],
                "original_source_detail": ["LeadSource", "Lead Source"],
                "owner_id": _OWNER + ["Contact Owner ID", "Contact Owner", "Owner"],
                "country": ["MailingCountry", "Mailing Country", "Country", "OtherCountry"],
                "job_title": ["Title", "Job Title"],
                "MQL_Date__c": ["MQL_Date__c", "MQL Date", "MQL_Date", "Marketing Qualified Date"],
                "SQL_Date__c": ["SQL_Date__c", "SQL Date", "SQL_Date", "Sales Qualified Date"],
                "IsPersonAccount": _PERSON_ACCOUNT,
                "IsDeleted": _DELETED,
            }
        ),
        ("contact_id", "account_id", "owner_id"),
    ),
    "Account": _Object(
        "accounts",
        _tm(
            {
                "account_id": ["Id", "Account ID"],
                "name": ["Name", "Account Name"],
                "industry": ["Industry"],
                "employees": ["NumberOfEmployees", "Employees", "No. of Employees"],
                "annual_revenue": ["AnnualRevenue", "Annual Revenue"],
                # a multi-currency org's: AnnualRevenue is in it (`_revenue_currency_notes`)
                "CurrencyIsoCode": [
                    "CurrencyIsoCode",
                    "Account Currency",
                    "Annual Revenue Currency",
                    "Currency",
                ],
                "country": ["BillingCountry", "Billing Country", "ShippingCountry", "Country"],
                "created_at": _CREATED,
                "IsPersonAccount": _PERSON_ACCOUNT,
                "PersonContactId": ["PersonContactId", "Person Contact ID"],
                "IsDeleted": _DELETED,
            }
        ),
        ("account_id", "PersonContactId"),
    ),
    "Opportunity": _Object(
        "deals",
        _tm(
            {
                "deal_id": ["Id", "Opportunity ID"],
                "account_id": ["AccountId", "Account ID"],
                "contact_id": ["ContactId", "Contact ID"],
                # the record type is the sales process, its id when the export has no name;
                # `Type` (new or existing business) is no pipeline: kept as an extra column
                "pipeline": [
                    "RecordType.Name",
                    "RecordTypeName",
                    "Opportunity Record Type",
                    "Record Type",
                    "RecordTypeId",
                    "Record Type ID",
                ],
                "stage": ["StageName", "Stage"],
                "created_at": _CREATED,
                "CloseDate": ["CloseDate", "Close Date"],
                "is_closed": ["IsClosed", "Closed"],
                "is_won": ["IsWon", "Won"],
                "amount": ["Amount"],
                "currency": [
                    "CurrencyIsoCode",
                    "Opportunity Currency",
                    "Amount Currency",
                    "Currency",
                ],
                "product": [
                    "Product_Line__c",
                    "Product Line",
                    "Product_Family__c",
                    "Product Family",
                    "Product2.Family",
                ],
                "owner_id": _OWNER + ["Opportunity Owner ID", "Opportunity Owner", "Owner"],
                "lost_reason": [
                    "Loss_Reason__c",
                    "Loss Reason",
                    "Lost_Reason__c",
                    "Lost Reason",
                    "Closed_Lost_Reason__c",
                    "Closed Lost Reason",
                ],
                # a report of opportunities with their contact roles (`_report_roles`)
                "Role": ["Role", "Contact Role"],
                "IsPrimary": ["Primary", "IsPrimary", "Is Primary"],
                "IsDeleted": _DELETED,
            },
            derive=_stage_rules(),
            # API extracts write a false checkbox empty: the stage fills only an empty column
            empty_false=["is_closed", "is_won"],
        ),
        ("deal_id", "account_id", "contact_id", "owner_id"),
    ),
    "OpportunityContactRole": _Object(
        "OpportunityContactRole",
        _tm(
            {
                "OpportunityId": ["OpportunityId", "Opportunity ID"],
                "ContactId": ["ContactId", "Contact ID"],
                "IsPrimary": ["IsPrimary", "Primary"],
                "Role": ["Role"],
                "CreatedDate": _CREATED,
                "IsDeleted": _DELETED,
            }
        ),
        ("OpportunityId", "ContactId"),
        ("OpportunityId", "ContactId"),
    ),
    "Campaign": _Object(
        "Campaign",
        _tm(
            {
                "Id": ["Id", "Campaign ID"],
                "Name": ["Name", "Campaign Name"],
                "Type": ["Type", "Campaign Type"],
                "IsDeleted": _DELETED,
            }
        ),
        ("Id",),
        ("Id",),
    ),
    "CampaignMember": _Object(
        "CampaignMember",
        _tm(
            {
                "Id": ["Id", "Campaign Member ID", "Member ID"],
                "CampaignId": ["CampaignId", "Campaign ID"],
                "ContactId": ["ContactId", "Contact ID"],
                "LeadId": ["LeadId", "Lead ID"],
                "LeadOrContactId": ["LeadOrContactId", "Lead or Contact ID"],
                "CampaignName": ["Campaign Name"],  # a campaign member report's own columns
                "CampaignType": ["Campaign Type"],
                "Status": ["Status", "Member Status"],
                "HasResponded": ["HasResponded", "Responded"],
                "FirstRespondedDate": [
                    "FirstRespondedDate",
                    "First Responded Date",
                    "Member First Responded Date",
                ],
                "CreatedDate": _CREATED + ["Member Created Date"],
                "IsDeleted": _DELETED,
            }
        ),
        ("Id", "CampaignId", "ContactId", "LeadId", "LeadOrContactId"),
        ("CampaignId",),
    ),
    "Task": _Object(
        "Task",
        _tm(
            {
                "Id": ["Id", "Activity ID", "Task ID"],
                "WhoId": ["WhoId", "Who ID", "Name ID"],
                "ContactId": ["Contact ID"],
                "LeadId": ["Lead ID"],
                "WhatId": ["WhatId", "What ID", "Related To ID"],
                "OpportunityId": ["Opportunity ID"],
                "TaskSubtype": ["TaskSubtype", "Task Subtype"],
                "Type": ["Type", "Task Type"],
                "Status": ["Status", "Task Status"],
                "IsClosed": ["IsClosed", "Closed", "Is Closed"],
                "CreatedDate": _CREATED,
                "CompletedDateTime": [
                    "CompletedDateTime",
                    "Completed Date/Time",
                    "Completed Date Time",
                ],
                "ActivityDate": ["ActivityDate", "Due Date", "Date"],
                "OwnerId": _OWNER + ["Assigned To ID", "Assigned ID", "Assigned To", "Assigned"],
                "IsDeleted": _DELETED,
            }
        ),
        ("Id", "WhoId", "ContactId", "LeadId", "WhatId", "OpportunityId", "OwnerId"),
    ),
    "Event": _Object(
        "Event",
        _tm(
            {
                "Id": ["Id", "Activity ID", "Event ID"],
                "WhoId": ["WhoId", "Who ID", "Name ID"],
                "ContactId": ["Contact ID"],
                "LeadId": ["Lead ID"],
                "WhatId": ["WhatId", "What ID", "Related To ID"],
                "OpportunityId": ["Opportunity ID"],
                "CreatedDate": _CREATED,
                "StartDateTime": ["StartDateTime", "Start Date Time", "Start"],
                "ActivityDateTime": ["ActivityDateTime", "Date/Time"],
                "ActivityDate": ["ActivityDate", "Due Date", "Date"],
                "IsAllDayEvent": ["IsAllDayEvent", "All-Day Event", "All Day Event"],
                "OwnerId": _OWNER + ["Assigned To ID", "Assigned ID", "Assigned To", "Assigned"],
                "IsDeleted": _DELETED,
            }
        ),
        ("Id", "WhoId", "ContactId", "LeadId", "WhatId", "OpportunityId", "OwnerId"),
    ),
    # field history of Leads: a row per change of a tracked field (`Field`: `Status`; report
    # labels from the field reference: "Lead ID", "Changed Field", "Old Value", "New Value")
    "LeadHistory": _Object(
        "LeadHistory",
        _tm(
            {
                "Id": ["Id", "Lead History ID"],
                "LeadId": ["LeadId", "Lead ID"],
                "Field": ["Field", "Changed Field", "Field / Event"],
                "OldValue": ["OldValue", "Old Value"],
                "NewValue": ["NewValue", "New Value"],
                "CreatedDate": _CREATED + ["Edit Date"],
                "IsDeleted": _DELETED,
            }
        ),
        ("Id", "LeadId"),
        ("LeadId", "Field", "NewValue", "CreatedDate"),
    ),
    "spend": _Object(
        "spend",
        _tm(
            {
                "month": ["month", "Month"],
                "channel": ["channel", "Channel"],
                "campaign": ["campaign", "Campaign", "Campaign Name"],
                "amount": ["amount", "Amount", "Spend", "Cost"],
                "currency": ["currency", "Currency"],
            },
            values={
                "channel": {
                    **{k: v for k, (v, _) in CAMPAIGN_TYPES.items()},
                    **LEAD_SOURCE_CHANNEL,
                }
            },
        ),
        (),
    ),
}

#: File stems (lower case, separators removed) naming each object.
_FILE_NAMES: dict[str, str] = {
    "lead": "Lead",
    "leads": "Lead",
    "contact": "Contact",
    "contacts": "Contact",
    "account": "Account",
    "accounts": "Account",
    "opportunity": "Opportunity",
    "opportunities": "Opportunity",
    "opportunitycontactrole": "OpportunityContactRole",
    "opportunitycontactroles": "OpportunityContactRole",
    "campaign": "Campaign",
    "campaigns": "Campaign",
    "campaignmember": "CampaignMember",
    "campaignmembers": "CampaignMember",
    "task": "Task",
    "tasks": "Task",
    "event": "Event",
    "events": "Event",
    "leadhistory": "LeadHistory",
    "leadhistories": "LeadHistory",
    "spend": "spend",
}
#: Report downloads (`report1707000000000.csv`) are told apart by their column labels.
_SIGNATURES: tuple[tuple[str, set[str]], ...] = (
    ("CampaignMember", {"campaign id", "responded"}),
    ("CampaignMember", {"campaign id", "member status"}),
    # (an "Opportunities with Contact Roles" report is told before these: `_ROLES_REPORT`)
    ("OpportunityContactRole", {"opportunity id", "contact id", "role"}),
    ("Opportunity", {"opportunity id"}),
    ("Opportunity", {"stage", "opportunity name"}),
    ("Campaign", {"campaign id", "campaign name"}),
    ("Task", {"task subtype"}),
    ("Task", {"activity id"}),
    ("LeadHistory", {"lead id", "new value"}),
    ("Lead", {"lead id"}),
    ("Lead", {"lead source", "lead status"}),
    ("Contact", {"contact id"}),
    ("Account", {"account id", "account name"}),
)
#: "Opportunities with Contact Roles": a row per opportunity and role (`_report_roles`); told
#: from a report of contact roles alone by its `Stage` (`object_of_labels`)
_ROLES_REPORT = {"opportunity id", "role", "stage"}
#: `attrs` key of a report with contact roles read as the opportunities (`_read_object`)
_READ_AS_DEALS = "roles report read as opportunities"
_IGNORED_FILES = {"idmap", "smkmapping"}
_SF_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_MERGED = MERGED_CONVERTED_LEAD
#: a Task or Event that names no one, logged on an account the export calls a person account,
#: whose person (`PersonContactId`, or the account's one Contact) is not among its contacts: a
#: fault of the export (a filtered Contact export), not work on a company (`ACCOUNT_ACTIVITY`)
PERSON_NOT_IN_EXPORT = "person of a person account not in the export"
#: key prefixes (an id's first three characters) of a Task's or Event's `WhatId` that name no
#: other record (`_on_another_record`): an account, an opportunity (`_activities` reads both),
#: a lead or a contact (a person, which Salesforce writes in the `WhoId`: one named only in the
#: `WhatId` is `missing contact_id`)
_WHAT_READ = ("001", "006", "00Q", "003")


# ----------------------------------------------------------------------------- helpers
def salesforce_ids(values: pd.Series) -> pd.Series:
    """Salesforce ids in their 18-character form; other values are only trimmed.

    Only 15/18-character alphanumeric values are touched, so a report footer or an id from
    another system is never given a checksum suffix; `000000000000000AAA` (an empty lookup in
    some export tools) becomes missing. Done by Arrow and NumPy, chunk by chunk: ten million
    campaign-member ids never become Python strings. (Working on the distinct values instead
    took longer even for lookups that repeat ids: encoding them cost more than it saved.)
    """
    s = parse.clean_text(values)
    if not len(s):
        return s
    text = parse.arrow_text(s)
    fixed = [_id18_where_ids(chunk) for chunk in text.chunks]
    if all(f is None for f in fixed):
        return s
    chunks = [c if f is None else f for c, f in zip(text.chunks, fixed, strict=True)]
    ids = pa.chunked_array(chunks, text.type)
    return pd.Series(ArrowStringArray(ids), index=s.index, name=s.name)


def _id18_where_ids(words: pa.Array) -> pa.Array | None:
    """`words` (large strings) with every 15/18-character alphanumeric one in its 18-character
    form and the empty-lookup id missing; None when no word looks like an id."""
    fast = _id18_of_18s(words)
    if fast is not None:
        return fast
    length = pc.binary_length(words)
    looks = pc.and_(pc.ascii_is_alnum(words), pc.or_(pc.equal(length, 15), pc.equal(length, 18)))
    if not pc.any(looks).as_py():
        return None
    fixed = pc.replace_with_mask(words, looks, _id18_arrow(words.filter(looks)).cast(words.type))
    return pc.if_else(pc.equal(fixed, "000000000000000AAA"), None, fixed)


_EMPTY_LOOKUP = np.frombuffer(b"000000000000000AAA", dtype=np.uint8)


def _id18_of_18s(words: pa.Array) -> pa.Array | None:
    """`_id18_where_ids` of a chunk whose present values all have 18 alphanumeric characters
    (a Data Loader export's ids), in NumPy on the chunk's buffers: a tenth of the time of the
    Arrow passes. None for any other chunk. A chunk whose ids already end in their checksum
    (every export tool writes them so) is kept as it is, not copied."""
    if not pa.types.is_large_string(words.type) or words.null_count == len(words):
        return None
    off = np.frombuffer(words.buffers()[1], dtype=np.int64)
    off = off[words.offset : words.offset + len(words) + 1]
    length = np.diff(off)
    present = words.is_valid().to_numpy(zero_copy_only=False)
    if (length[present] != 18).any() or length[~present].any():
        return None
    body = np.frombuffer(words.buffers()[2], dtype=np.uint8)[off[0] : off[-1]].reshape(-1, 18)
    if not _alphanumeric(body):
        return None
    suffixes = _suffixes(body[:, :15])
    maybe = np.flatnonzero((body[:, 14] == ord("0")) & (body[:, 3] == ord("0")))
    # `000000000000000AAA` (an empty lookup): fifteen zeros, whatever suffix they carry
    empty = maybe[(body[maybe, :15] == _EMPTY_LOOKUP[:15]).all(axis=1)]
    keep = present.copy()
    keep[np.flatnonzero(present)[empty]] = False
    if (body[:, 15:] == suffixes).all() and (words.offset == 0 or (keep == present).all()):
        if (keep == present).all():
            return words
        return pa.Array.from_buffers(
            pa.large_string(),
            len(words),
            [pa.array(keep).buffers()[1], *words.buffers()[1:]],
        )
    whole = _recased(body, suffixes)
    validity = None if keep.all() else pa.array(keep).buffers()[1]
    buffers = [validity, pa.py_buffer(off - off[0]), pa.py_buffer(whole)]
    return pa.Array.from_buffers(
        pa.large_string(), len(words), buffers, null_count=int((~keep).sum())
    )


def _suffix_bits() -> np.ndarray:
    """Byte -> the 5 bits a checksum character stands for (either case); -1 for others."""
    table = np.full(256, -1, dtype=np.int16)
    for bits, char in enumerate(_SF_SUFFIX):
        table[ord(char)] = table[ord(char.lower())] = bits
    return table


_SUFFIX_BITS = _suffix_bits()


def _recased(body: np.ndarray, suffixes: np.ndarray) -> np.ndarray:
    """18-character ids (rows of ASCII bytes) given the checksum their first 15 characters
    carry (`suffixes`). Where the written checksum differs and the letters are all of one case
    (an id upper- or lower-cased by a spreadsheet or a case-insensitive database), the
    checksum records the true case: the letters take it back. Otherwise (mixed case: a
    mistyped checksum) the id keeps its letters and takes their checksum."""
    written = _SUFFIX_BITS[body[:, 15:]]
    upper = ((written[:, :, None] >> np.arange(5)) & 1).reshape(-1, 15).astype(bool)
    head = body[:, :15]
    letter = ((head | np.uint8(32)) - np.uint8(97)) < 26
    capital = letter & ((head - np.uint8(65)) < 26)
    one_case = ~(capital.any(axis=1) & (letter & ~capital).any(axis=1))
    fits = (
        (body[:, 15:] != suffixes).any(axis=1)
        & one_case
        & (written >= 0).all(axis=1)
        & ~(upper & ~letter).any(axis=1)  # a digit cannot be upper case
    )
    whole = body.copy()
    whole[:, 15:] = suffixes
    cased = np.where(upper, head & np.uint8(0xDF), head | np.uint8(32))
    whole[fits, :15] = np.where(letter[fits], cased[fits], head[fits])
    whole[fits, 15:] = np.frombuffer(_SF_SUFFIX.encode("ascii"), np.uint8)[written[fits]]
    return whole


def _alphanumeric(body: np.ndarray) -> bool:
    """Every byte is an ASCII letter or digit (arithmetic on the bytes, no lookup table)."""
    digit = (body - np.uint8(48)) < 10
    letter = ((body | np.uint8(32)) - np.uint8(97)) < 26
    return bool((digit | letter).all())


def _suffixes(heads: np.ndarray) -> np.ndarray:
    """The 3 checksum characters of ids from their first 15 ASCII bytes (rows of `heads`)."""
    upper = ((heads - np.uint8(65)) < 26).view(np.uint8).reshape(-1, 3, 5)  # A-Z: 1
    bits = upper[:, :, 0].copy()  # one 5-bit number per 5-character chunk, in bytes
    for i in range(1, 5):
        bits |= upper[:, :, i] << np.uint8(i)
    return np.frombuffer(_SF_SUFFIX.encode("ascii"), dtype=np.uint8)[bits]


def _id18(ids: np.ndarray) -> np.ndarray:
    """`parse.salesforce_id18` for many alphanumeric ids at once (their first 15 characters)."""
    if not len(ids):
        return np.asarray(ids, dtype=object)
    return _id18_arrow(pa.array(ids, type=pa.string())).to_numpy(zero_copy_only=False)


def _id18_arrow(ids: pa.Array) -> pa.Array:
    """`_id18` on Arrow text: the 18-character ids built byte by byte in NumPy."""
    if not len(ids):
        return pa.array([], type=pa.string())
    # in Arrow: ten million ids cost seconds, not the half minute of Python string slicing
    heads = pc.utf8_slice_codeunits(ids.cast(pa.string()), 0, 15)
    offsets = np.frombuffer(heads.buffers()[1], dtype=np.int32)[heads.offset :][: len(heads) + 1]
    data = np.frombuffer(heads.buffers()[2], dtype=np.uint8)[offsets[0] : offsets[-1]]
    heads15 = data.reshape(-1, 15)  # the callers pass 15/18-character alphanumeric ids only
    whole = np.concatenate([heads15, _suffixes(heads15)], axis=1)  # 18 ASCII bytes per id
    is_long = pc.equal(pc.binary_length(ids), 18)
    long = is_long.to_numpy(zero_copy_only=False)
    if long.any():  # written 18-character ids: their checksum may restore their case
        given = ids.filter(is_long).cast(pa.string())  # an Arrow mask: pyarrow 16 takes no other
        given_offsets = np.frombuffer(given.buffers()[1], np.int32)[given.offset :]
        start = given_offsets[0]
        given_bytes = np.frombuffer(given.buffers()[2], np.uint8)[start : start + 18 * len(given)]
        whole[long] = _recased(given_bytes.reshape(-1, 18), whole[long, 15:])
    n = len(whole)
    offsets18 = pa.py_buffer(np.arange(0, 18 * n + 1, 18, dtype=np.int32).tobytes())
    return pa.StringArray.from_buffers(n, offsets18, pa.py_buffer(whole.tobytes()))


def object_of_name(path: Path) -> str | None:
    tokens = [t for t in re.split(r"[^a-z0-9]+", path.stem.lower()) if t]
    for k in range(min(3, len(tokens)), 0, -1):
        name = _FILE_NAMES.get("".join(tokens[:k]))
        if name:
            return name
    return None


def _labels(frame: pd.DataFrame) -> set[str]:
    return {fileio.normalise_header(c) for c in frame.columns if c[:1] != "_"}


def object_of_labels(headers: set[str], opportunities: bool = True) -> str | None:
    """The Salesforce object a report download holds, told by its (normalised) column labels;
    None when they match no object's. A report of opportunities with their contact roles
    (`_ROLES_REPORT`) holds the opportunities when it has the columns a deal needs and
    `opportunities` (no other file of the export holds them); else, with `Contact ID`, their
    contact roles, as an OpportunityContactRole file."""
    if opportunities and headers >= _ROLES_REPORT and _holds_deals(headers):
        return "Opportunity"
    for name, needed in _SIGNATURES:
        if needed <= headers:
            return name
    return None


def _holds_deals(headers: set[str]) -> bool:
    """Whether a report's (normalised) labels hold every column the deals table requires."""
    spec = _OBJECTS["Opportunity"]
    return all(
        any(fileio.normalise_header(a) in headers for a in spec.mapping.columns[col])
        for col in REQUIRED[spec.table]
    )


def _ok(frame: pd.DataFrame) -> pd.Series:
    return frame["_reason"].isna()


def _col(frame: pd.DataFrame, name: str) -> pd.Series:
    """A column as clean text, or an all-missing column when the export lacks it."""
    if name in frame.columns:
        return parse.clean_text(frame[name])
    return pd.Series(pd.NA, index=frame.index, dtype="string")


def _coalesce(*columns: pd.Series) -> pd.Series:
    """The first value present, row by row, of text columns (Arrow's `coalesce`: twice as
    fast as pandas' `fillna` on ten million campaign members)."""
    first = parse.arrow_text(columns[0])
    found = pc.coalesce(first, *(parse.arrow_text(c).cast(first.type) for c in columns[1:]))
    return pd.Series(ArrowStringArray(found), index=columns[0].index, name=columns[0].name)


def _bools(frame: pd.DataFrame, name: str) -> pd.Series:
    """A checkbox column as booleans: <NA> when absent or not a boolean.

    Salesforce checkboxes are never null, and API extracts write false as an empty cell, so an
    empty cell of a present column is False.
    """
    if name not in frame.columns:
        return pd.Series(pd.NA, index=frame.index, dtype="boolean")
    values, _bad = parse.parse_bools(frame[name])
    return values.mask(parse.blank(frame[name]), False)


def _bool_text(frame: pd.DataFrame, name: str) -> pd.Series:
    """A checkbox column as `true`/`false` text; values that are not booleans stay as they are."""
    values = _bools(frame, name)
    text = values.map({True: "true", False: "false"}).astype("string")
    return text.fillna(_col(frame, name))


def _iso(values: pd.Series) -> pd.Series:
    """UTC timestamps as ISO 8601 text that `assemble` reads back exactly (formatted by Arrow:
    pandas' strftime took half a minute for the 10M campaign members of a 1M-lead export)."""
    return _iso_text(pd.to_datetime(values, utc=True).astype("datetime64[ns, UTC]"))


def _empty_frame(table: str) -> pd.DataFrame:
    spec = _OBJECTS[table]
    cols = list(spec.mapping.columns) + ["_file", "_row", "_reason"]
    return pd.DataFrame({c: pd.Series(dtype="string") for c in cols})


class _Dates:
    """Parses the date columns of one load with the same options; collects the warnings."""

    def __init__(self, options: parse.DateOptions) -> None:
        self.options = options
        self.warnings: list[str] = []

    def parse(self, frame: pd.DataFrame, col: str, label: str) -> pd.Series:
        out = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
        if col not in frame.columns or frame.empty:
            return out
        ok = _ok(frame)
        hint = self._hint(frame, col)
        parsed, _bad, notes = parse.parse_datetimes(frame.loc[ok, col], self.options, hint)
        out[ok] = parsed
        self.warnings.extend(f"{label}: {note}" for note in notes)
        return out

    def _hint(self, frame: pd.DataFrame, col: str) -> parse.OrderHint | None:
        """The day order the file's other date columns show (`CloseDate`, "Close Date" and the
        loader's `created_at`: Salesforce names them so), for a column whose values do not
        tell it; None when `dayfirst` decides or they show none."""
        if self.options.dayfirst is not None or parse.day_order_shown(frame[col]) != parse.OPEN:
            return None  # decided, or the column tells it (or holds no numeric dates)
        others = [c for c in frame.columns if c != col and ("date" in c.lower() or c[-3:] == "_at")]
        shown = [(c, parse.day_order_shown(frame[c])) for c in others]
        same = tuple((c, order) for c, order in shown if order in ("dmy", "mdy"))
        return parse.OrderHint(same, "in the same file") if same else None

    def first(
        self, frame: pd.DataFrame, cols: list[tuple[str, str]]
    ) -> tuple[pd.Series, pd.Series]:
        """(parsed, text) of the first column holding a date, row by row.

        The text is ISO where a date was parsed and else the first raw value, so a value that
        cannot be read reaches `assemble` and is set aside there as unparseable.
        """
        parsed, raw = self.first_raw(frame, cols)
        return parsed, _iso(parsed).fillna(raw)

    def first_raw(
        self, frame: pd.DataFrame, cols: list[tuple[str, str]]
    ) -> tuple[pd.Series, pd.Series]:
        """(parsed, raw text) of the first column holding a date, row by row."""
        parsed = pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]")
        raw = pd.Series(pd.NA, index=frame.index, dtype="string")
        for col, label in cols:
            if col not in frame.columns:
                continue
            parsed = parsed.fillna(self.parse(frame, col, label))
            raw = raw.fillna(_col(frame, col))
        return parsed, raw


def _for_assemble(parsed: pd.Series, raw: pd.Series) -> pd.Series:
    """Dates handed to `assemble`: the timestamps themselves when every value given was read;
    else ISO text where read and the raw text elsewhere, so that `assemble` sets the unreadable
    ones aside with their own text. (Ten million timestamps written out as text and parsed
    again took seconds.)"""
    if not (parsed.isna() & raw.notna()).any():
        return parsed
    return _iso(parsed).fillna(raw)


# ----------------------------------------------------------------------------- reading
def _read_export(
    source: Path, warnings: list[str], pool: Executor | None = None
) -> dict[str, pd.DataFrame | _Apart]:
    """Every recognised file of the export, mapped to API-named columns, per object.

    With a `pool`, the largest file is read on it while the others are read here; when it is
    its object's only file, that object is also cleaned there (an `_Apart`).
    Warnings and errors are those of reading the files one by one, in the same order.
    """
    if not source.exists():
        raise CRMExportError("no such file or folder", file=str(source))
    candidates = [source] if source.is_file() else data_files(source)
    paths = [
        p for p in candidates if re.sub(r"[^a-z0-9]", "", p.stem.lower()) not in _IGNORED_FILES
    ]
    apart = max(paths, key=lambda p: p.stat().st_size) if pool and len(paths) > 1 else None
    apart_name = object_of_name(apart) if apart is not None else None
    alone = apart_name is not None and [object_of_name(p) for p in paths].count(apart_name) == 1
    future = pool.submit(_read_object, apart, alone) if apart is not None else None
    results = {p: _attempt(_read_object, p) for p in paths if p != apart}
    if future is not None:
        bad = [p for p in paths if isinstance(results.get(p), Exception)]
        outcome = (apart_name, None)
        if not alone or (bad and paths.index(apart) < paths.index(bad[0])):
            outcome = _attempt(future.result)  # needed now: its object, or its error first
        # else its read is still going on (an error of it is raised by `_settled`)
        if alone and not isinstance(outcome, Exception):
            outcome = (apart_name, _Apart(future))
        results[apart] = outcome
    _roles_beside_opportunities(paths, results, warnings)
    found: dict[str, list] = {}
    for path in paths:  # in file order, as if read one by one: first error, warnings
        name, frame = _outcome(results.pop(path))
        if name is None:
            warnings.append(f"{path.name}: not a Salesforce object file this loader reads; ignored")
            continue
        found.setdefault(name, []).append(frame)
    if not found:
        raise CRMExportError(
            "no Salesforce export files found (expected Lead.csv, Contact.csv, Account.csv, "
            "Opportunity.csv, Campaign.csv, CampaignMember.csv, Task.csv, Event.csv, "
            "LeadHistory.csv)",
            file=str(source),
            found_columns=[p.name for p in candidates],
            found_label="Files found",
        )
    objects: dict[str, pd.DataFrame | _Apart] = {}
    for name, frames in found.items():
        if isinstance(frames[0], _Apart):  # cleaned where it was read
            objects[name] = frames[0]
            continue
        frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
        frame.attrs["warnings"] = [w for f in frames for w in f.attrs.get("warnings", ())]
        frame.attrs["untold"] = [u for f in frames for u in f.attrs.get("untold", ())]
        objects[name] = _clean_rows(frame.reset_index(drop=True), _OBJECTS[name])
    return objects


@dataclass
class _Apart:
    """An object read and cleaned on the other thread (`_read_object`'s future)."""

    future: Future

    def result(self) -> pd.DataFrame:
        return self.future.result()[1]


def _read_object(
    path: Path, clean: bool = False, opportunities: bool = True
) -> tuple[str | None, pd.DataFrame | None]:
    """(object, frame) of one file: read, mapped to API names and checked; also cleaned when
    `clean` (the object's only file). (None, None) for a file of no object this loader reads.
    A report is told by its labels (`object_of_labels`, with `opportunities`); one of
    opportunities with their contact roles read as the opportunities is marked so
    (`_READ_AS_DEALS`: `_roles_beside_opportunities` may read it again as their roles)."""
    name = object_of_name(path)
    as_deals = False
    try:
        frame = fileio.read_any(path)
    except CRMExportError:
        if name is None:  # a note beside the export (`notes.txt`), no object's file: not read
            fileio.not_read([path])
            return None, None
        raise
    if name is None:
        labels = _labels(frame)
        name = object_of_labels(labels, opportunities)
        as_deals = name != object_of_labels(labels, opportunities=False)
    if name is None:
        fileio.not_read([path])
        return None, None
    spec = _OBJECTS[name]
    mapped = map_frame(frame, spec.table, spec.mapping, path)
    _check_columns(mapped, name, spec, path, frame)
    if as_deals:
        mapped.attrs[_READ_AS_DEALS] = True
    return name, _clean_rows(mapped, spec) if clean else mapped


def _roles_beside_opportunities(paths: list[Path], results: dict, warnings: list[str]) -> None:
    """Read again as their contact roles the reports of opportunities with their contact roles
    that were read as the opportunities (`_READ_AS_DEALS`), when another file of the export
    holds the opportunities (an Opportunity file, a report of them): each of their rows would
    be a second copy of an opportunity (`duplicate deal_id`). `results`: each path's
    `_read_object` result, replaced; `warnings` says what the reports were read as."""
    deals = {
        p: r[1]
        for p, r in results.items()
        if not isinstance(r, Exception) and r[0] == "Opportunity"
    }
    reports = [
        p
        for p in paths
        if isinstance(deals.get(p), pd.DataFrame) and deals[p].attrs.get(_READ_AS_DEALS)
    ]
    held = [p.name for p in paths if p in deals and p not in reports]
    if not reports or not held:
        return
    named = 0
    for path in reports:
        results[path] = _attempt(_read_object, path, False, False)
        if not isinstance(results[path], Exception):
            roles = results[path][1]
            named += int((_ok(roles) & roles["ContactId"].notna()).sum())
    warnings.append(
        _roles_report_note(
            [p.name for p in reports],
            f"{named:,} contact role{'s' if named != 1 else ''} only, as an "
            f"OpportunityContactRole file's: the opportunities are read from {', '.join(held)} "
            "(the report's rows would be a second copy of each)",
        )
    )


def _attempt(func, *args):
    """`func(*args)`, or the exception it raised (re-raised later, in file order)."""
    try:
        return func(*args)
    except Exception as exc:  # noqa: BLE001 - handed on unchanged by `_outcome`
        return exc


def _outcome(result):
    if isinstance(result, Exception):
        raise result
    return result


def _settled(objects: dict[str, pd.DataFrame | _Apart]) -> None:
    """Wait for the object read on the other thread; its read error, if any, is raised."""
    for value in objects.values():
        if isinstance(value, _Apart):
            value.result()


def _now(objects: dict[str, pd.DataFrame | _Apart], name: str) -> pd.DataFrame | None:
    """An object's frame, waiting for it if it is being read on the other thread."""
    value = objects.get(name)
    return value.result() if isinstance(value, _Apart) else value


def _check_columns(
    mapped: pd.DataFrame, name: str, spec: _Object, path: Path, frame: pd.DataFrame
) -> None:
    for col in spec.required:
        if col not in mapped.columns:
            aliases = ", ".join(repr(a) for a in spec.mapping.columns[col])
            raise CRMExportError(
                f"a Salesforce {name} export needs a {col} column (looked for {aliases})",
                file=str(path),
                column=col,
                found_columns=[c for c in frame.columns if not c.startswith("_")],
            )


def _clean_rows(frame: pd.DataFrame, spec: _Object) -> pd.DataFrame:
    """Deleted records are marked; ids take their 18-character form.

    (Report footers and ragged lines were already marked by `map_frame`.)
    """
    frame["_reason"] = parse.as_text(frame["_reason"])  # (pandas' astype: seconds for 10M rows)
    if "IsDeleted" in frame.columns:
        deleted = _bools(frame, "IsDeleted").fillna(False).astype(bool) & _ok(frame)
        frame.loc[deleted, "_reason"] = DELETED_IN_SALESFORCE
    for col in spec.ids:
        if col in frame.columns:
            frame[col] = salesforce_ids(frame[col])
    if spec.table == "deals" and "pipeline" in frame.columns:
        frame["pipeline"] = _record_type_ids(frame["pipeline"])
    return frame


#: a record type's id (key prefix 012), or the empty lookup some export tools write
_RECORD_TYPE_ID = r"(?:012|000)[0-9A-Za-z]{12}(?:[0-9A-Za-z]{3})?"


def _record_type_ids(pipelines: pd.Series) -> pd.Series:
    """Opportunity pipelines read from `RecordTypeId` in their 18-character form, so that a
    15-character report id and an 18-character Data Loader one name one pipeline, and the
    empty lookup (`000000000000000AAA`) none; a record type's name is kept as it is."""
    text = parse.clean_text(pipelines)
    ids = text.str.fullmatch(_RECORD_TYPE_ID).fillna(False).astype(bool)
    if not ids.any():
        return pipelines
    return text.mask(ids, salesforce_ids(text[ids]))


# ----------------------------------------------------------------------------- loading
def load_salesforce(
    source: str | Path,
    *,
    timezone: str | None = None,
    dayfirst: bool | None = None,
    decimal: str | None = None,
) -> CRM:
    """Load a folder of Salesforce object exports into the canonical, validated model.

    Parameters
    ----------
    source : folder of exports (or a single object file).
    timezone : zone of timestamps written without one (reports and Excel re-saves show the
        user's local time); default UTC.
    dayfirst : force European (True) or US (False) day order for ambiguous dates.
    decimal : "." or ",": the decimal mark of every number column (default: per column).

    See the module docstring for how Leads, Contacts, Opportunities, campaign members and
    activities become contacts, deals, touchpoints and activities.
    """
    source = Path(source)
    options = parse.DateOptions(timezone=timezone or "UTC", dayfirst=dayfirst, decimal=decimal)
    with read_whole(source) as unread:
        crm = _load_objects(source, options)
    return with_unread(crm, unread)


def _load_objects(source: Path, options: parse.DateOptions) -> CRM:
    """`load_salesforce` with its reading options."""
    warnings: list[str] = []
    # Campaign members (the largest object by far) are read, cleaned and made touchpoints on a
    # second thread while the other objects are handled on this one. Each part keeps its own
    # warnings, joined in the order of a one-thread load, so every run says the same.
    with ThreadPoolExecutor(max_workers=1) as pool:
        objects = _read_export(source, warnings, pool)
        dates, touch_dates, later_dates = _Dates(options), _Dates(options), _Dates(options)
        touch_warnings: list[str] = []
        leads = _now(objects, "Lead")
        lead_map = pd.Series(dtype="string")
        if leads is not None:
            lead_map = _lead_map(leads, _now(objects, "Contact"))
        touch = None
        if "CampaignMember" in objects:
            members, campaigns = objects["CampaignMember"], _now(objects, "Campaign")
            touch = pool.submit(
                lambda: _touchpoints(
                    members.result() if isinstance(members, _Apart) else members,
                    campaigns,
                    lead_map,
                    touch_dates,
                    touch_warnings,
                )
            )
        people_warnings: list[str] = []
        people = _attempt(_people, objects, leads, lead_map, dates, people_warnings)
        acts = None
        if not isinstance(people, Exception):
            raw, _, persons = people
            acts = _attempt(_activity_table, objects, raw, lead_map, persons, later_dates)
        # errors surface in one-thread order: files, people, touchpoints, activities
        _settled(objects)
        raw, deal_stages, persons = _outcome(people)
        if touch is not None:
            raw["touchpoints"] = touch.result()
        # the readers' warnings (`files.read_csv_strings`), once no thread uses the objects
        warnings += [w for o in objects for w in _now(objects, o).attrs.pop("warnings", ())]
        credited = pd.Series(dtype="string")
        if _outcome(acts) is not None:
            raw["activities"], credited = acts
        if "spend" in objects:
            raw["spend"] = _now(objects, "spend")
        people_warnings.extend(_unfound_person_notes(raw, persons))
        _name_read_columns(raw)
    crm = assemble(
        raw,
        source=str(source),
        format=FORMAT,
        options=options,
        warnings=warnings
        + touch_warnings
        + dates.warnings
        + people_warnings
        + touch_dates.warnings
        + later_dates.warnings,
        after_checks=_after_checks(deal_stages, lead_map, "LeadHistory" in objects),
        event_steps=_credit_loaded_deals(credited),
    )
    if "Task" in objects:
        _warn_untimed_tasks(crm, _now(objects, "Task").columns)
    return crm


#: the objects each table of the model is read from (`_name_read_columns`)
_TABLE_OBJECTS = {
    "contacts": ("Lead", "Contact", "LeadHistory"),
    "accounts": ("Account",),
    "deals": ("Opportunity",),
    "touchpoints": ("CampaignMember", "Campaign"),
    "activities": ("Task", "Event"),
}
#: the columns smk adds to the contacts beside the model's (`_contacts`, `_StatusHistory`)
_OWN_COLUMNS = ("lead_status", "salesforce_lead_id", "salesforce_object")


def _name_read_columns(raw: dict[str, pd.DataFrame]) -> None:
    """Name, in each table's `mapped_extras`, its columns outside the model that smk reads
    (its objects' columns: `Company`, `IsConverted`, `IsPersonAccount`, ...) or adds
    (`_OWN_COLUMNS`): the warning on empty columns then names only the export's headers smk
    did not map (`validate._unmapped_hint`), as for a mapping file's columns."""
    for table, frame in raw.items():
        read = {c for o in _TABLE_OBJECTS.get(table, ()) for c in _OBJECTS[o].mapping.columns}
        read.update(_OWN_COLUMNS)
        frame.attrs["mapped_extras"] = [c for c in frame.columns if c in read]


def _after_checks(
    deal_stages: DealDates | None, lead_map: pd.Series, history: bool
) -> AfterChecks | None:
    """The step run once the records are checked: the opportunity and customer dates
    (`deal_stages`), then, with a LeadHistory (`history`), the history rows of people the
    checks set aside re-worded (`_history_of_set_aside`)."""
    if not history:
        return deal_stages

    def step(tables: dict[str, pd.DataFrame], quality: DataQuality, redirect: dict) -> None:
        if deal_stages is not None:
            deal_stages(tables, quality, redirect)
        _history_of_set_aside(tables["contacts"], quality, redirect, lead_map)

    return step


def _history_of_set_aside(
    contacts: pd.DataFrame, quality: DataQuality, redirect: dict[str, str], lead_map: pd.Series
) -> None:
    """Give the Status changes read into a person that the checks then set aside (a fault of
    its own row: `unparseable created_at`, ...) the reason `LEAD_STATUS_OF_SET_ASIDE`: their
    dates went nowhere. A person merged into another (same e-mail, `redirect`) is loaded."""
    acc = quality.tables.get("contacts")
    aside = acc.set_aside if acc is not None else pd.DataFrame()
    if aside.empty:
        return
    read = aside["_reason"].eq(LEAD_STATUS_READ).fillna(False).to_numpy(dtype=bool)
    if not read.any():
        return
    person = _through(aside.loc[read, "salesforce_lead_id"].astype("string"), lead_map)
    live = pd.concat([contacts["contact_id"], pd.Series(list(redirect), dtype="string")])
    lost = ~is_in(person, live).to_numpy(dtype=bool)
    if lost.any():  # a new frame: the event tables' checks may be reading the old one
        aside = aside.copy()
        aside.loc[aside.index[read][lost], "_reason"] = LEAD_STATUS_OF_SET_ASIDE
        acc.set_aside = aside


#: the words of `DealDates`' warning for opportunities: one, several, what the rest keep
_OPPORTUNITY_WORDS = ("opportunity", "opportunities", "the stage of their Lead or Contact")


def _people(
    objects: dict,
    leads: pd.DataFrame | None,
    lead_map: pd.Series,
    dates: _Dates,
    warnings: list[str],
) -> tuple[dict[str, pd.DataFrame], DealDates | None, _PersonAccounts]:
    """Deals, accounts and contacts (`warnings`: where a lead's account is not known, deals at
    stages smk cannot tell open from closed), the step that gives the contacts their
    opportunity and customer dates once `assemble` has checked the deals (None without
    opportunities), and what the export says of its accounts (`_person_accounts`)."""
    raw: dict[str, pd.DataFrame] = {}
    deal_stages = None
    persons = _person_accounts(_now(objects, "Account"), _now(objects, "Contact"))
    if "Opportunity" in objects:
        opps = _now(objects, "Opportunity")
        read, report_roles = _report_roles(opps, warnings)
        roles = [
            r for r in (_now(objects, "OpportunityContactRole"), report_roles) if r is not None
        ]
        raw["deals"], links, deal_dates = _deals(
            read,
            pd.concat(roles, ignore_index=True) if roles else None,
            leads,
            _now(objects, "Contact"),
            lead_map,
            dates,
            persons,
        )
        deal_stages = DealDates(links, deal_dates, *_OPPORTUNITY_WORDS, from_creation=True)
        warnings.extend(_untold_stages(opps))
    if "Account" in objects:
        raw["accounts"] = _now(objects, "Account")
        warnings.extend(_revenue_currency_notes(raw["accounts"]))
    history = _status_history(_now(objects, "LeadHistory"), lead_map, dates, warnings)
    if leads is not None or "Contact" in objects or history is not None:
        raw["contacts"] = _contacts(
            leads, _now(objects, "Contact"), _now(objects, "Account"), dates, warnings, history
        )
    return raw, deal_stages, persons


def _report_roles(
    opps: pd.DataFrame, warnings: list[str]
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The opportunities of a report with their contact roles ("Opportunities with Contact
    Roles": `Role` beside the opportunity's columns, a row per opportunity and role), and those
    roles as an OpportunityContactRole file's (`ContactId`, `IsPrimary`; None when no file has
    `Role`). Each opportunity is loaded from one row of each such file, its primary role's,
    else its first: its `ContactId` is that role's contact. The other rows are set aside by
    design (`OTHER_CONTACT_ROLE`); their roles link their contacts to the opportunity as a
    contact role does. `warnings` says what such a file was read as."""
    if "Role" not in opps.columns:
        return opps, None
    files = opps.loc[_col(opps, "Role").notna(), "_file"].dropna().unique()
    rows = (_ok(opps) & opps["deal_id"].notna() & opps["_file"].isin(files)).to_numpy(bool)
    if not rows.any():
        return opps, None
    r = opps[rows]
    primary = _bools(r, "IsPrimary").fillna(False).astype(bool)
    first = r.assign(_other=~primary).sort_values("_other", kind="stable")
    kept = first.drop_duplicates("deal_id").index  # one deal, of a report split over files too
    others = r.index.difference(kept)
    read = opps.copy()
    read.loc[others, "_reason"] = OTHER_CONTACT_ROLE
    roles = pd.DataFrame(
        {
            "OpportunityId": r["deal_id"],
            "ContactId": _col(r, "contact_id"),
            "IsPrimary": _col(r, "IsPrimary"),
            "Role": _col(r, "Role"),
            "_file": r["_file"],
            "_row": r["_row"],
            "_reason": pd.Series(pd.NA, index=r.index, dtype="string"),
        }
    ).dropna(subset=["ContactId"])
    n, deals, named = len(others), len(kept), len(roles)
    rest = (
        f"; the other {n:,} row{'s' if n > 1 else ''} (another role of an opportunity) "
        f"{'are' if n > 1 else 'is'} set aside by design ({OTHER_CONTACT_ROLE!r})"
        if n
        else ""
    )
    warnings.append(
        _roles_report_note(
            files,
            f"{deals:,} opportunit{'ies' if deals > 1 else 'y'}, each from the row of its primary "
            f"role (else its first), and as {named:,} contact role{'s' if named > 1 else ''}, "
            f"as an OpportunityContactRole file's{rest}",
        )
    )
    return read, roles


def _roles_report_note(files: list, read_as: str) -> str:
    """The warning saying what reports of opportunities with their contact roles (`files`)
    were `read_as`."""
    return (
        f"deals: {', '.join(map(str, files))}: opportunities with their contact roles (a row "
        f"per opportunity and role: Role beside the opportunity's columns), read as {read_as}"
    )


def _revenue_currency_notes(accounts: pd.DataFrame) -> list[str]:
    """A warning when the accounts' AnnualRevenue is in several currencies: a multi-currency
    org writes each account's in the account's currency (`CurrencyIsoCode`; a report writes
    it in the amount, `EUR 310,000,000.00`). smk reads the numbers as written, unconverted
    (deal amounts are converted with a report's fx_rates, account revenue is not), so lead
    scoring and account segmentation compare revenues in different currencies."""
    a = accounts[_ok(accounts)]
    revenue = _col(a, "annual_revenue")
    code = parse.currency_codes(_col(a, "CurrencyIsoCode"))[0]
    code = code.fillna(parse.currency_symbols(revenue))[revenue.notna()]
    counts = code.value_counts()
    if len(counts) < 2:
        return []
    listed = ", ".join(f"{c} {n:,}" for c, n in counts.items())
    return [
        f"accounts: AnnualRevenue is in {len(counts)} currencies ({listed} accounts, by their "
        "CurrencyIsoCode or the currency written in the amount): it is read as written, not "
        "converted (fx_rates convert deal amounts only), so lead scoring and account "
        "segmentation compare revenues in different currencies. Export AnnualRevenue in one "
        'currency (a report\'s "Annual Revenue (converted)" column, named "Annual Revenue")'
    ]


def _untold_stages(opps: pd.DataFrame) -> list[str]:
    """The warning of opportunities at stages `_stage_rules` cannot tell open from closed, in
    files without IsClosed (`map_frame`'s counts, for all the files), as a mapping file's
    (`mapping.read_table`): they are taken as open, their won revenue lost."""
    untold: dict[tuple[str, str], Counter] = {}
    for col, origin, counts in opps.attrs.get("untold", ()):
        untold.setdefault((col, origin), Counter()).update(counts)
    return [
        untold_warning("deals", col, origin, counts, _STAGE_REMEDY)
        for (col, origin), counts in untold.items()
        if counts
    ]


def _activity_table(
    objects: dict,
    raw: dict[str, pd.DataFrame],
    lead_map: pd.Series,
    persons: _PersonAccounts,
    dates: _Dates,
) -> tuple[pd.DataFrame, pd.Series] | None:
    """Tasks and Events as one activities table (None when the export has neither), and the
    row keys (`row_keys`) of those credited to their opportunity's contact: no `WhoId`, a
    `WhatId` of an opportunity (`_credit_loaded_deals` settles whose before the checks).
    `persons`: what the export says of its accounts (`_person_accounts`)."""
    deal_contact = (
        raw["deals"]
        .loc[_ok(raw["deals"])]
        .drop_duplicates("deal_id")
        .set_index("deal_id")["contact_id"]
        if "deals" in raw
        else pd.Series(dtype="string")
    )
    acts = [
        _activities(_now(objects, name), name, lead_map, deal_contact, persons, dates)
        for name in ("Task", "Event")
        if name in objects
    ]
    if not acts:
        return None
    table = pd.concat(acts, ignore_index=True)
    credited = _who(table).isna() & table["deal_id"].notna()
    return table, _row_keys(table[credited.to_numpy(dtype=bool)])


def _credit_loaded_deals(credited: pd.Series) -> dict[str, EventStep]:
    """The step on the activities (`validate.EventStep`, by table; none when none is
    `credited`) that gives those credited to their opportunity's contact (row keys,
    `_activity_table`) the contact of the opportunity's loaded row, as the checks chose it (the
    newest copy, a later sound row of a faulty first one), before the activities' own checks:
    they then check that contact as any activity's (an unknown or deleted one sets the activity
    aside, one whose own row was set aside is counted in the warning on such activities). An
    activity of an opportunity set aside altogether, or whose loaded row names no contact,
    keeps the contact of the first row read: it is still sales work on the person that row
    names."""
    if credited.empty:
        return {}

    def step(acts: pd.DataFrame, tables: dict[str, pd.DataFrame]) -> None:
        deals = tables["deals"]
        if acts.empty or deals.empty:
            return
        contact = dates_of(acts["deal_id"], deals.set_index("deal_id")["contact_id"])
        hit = is_in(_row_keys(acts), credited).to_numpy(dtype=bool) & contact.notna().to_numpy()
        acts.loc[hit, "contact_id"] = contact[hit].astype(acts["contact_id"].dtype)

    return {"activities": step}


def _who(activities: pd.DataFrame) -> pd.Series:
    """The person a Task or Event names (`WhoId`, else a report's contact or lead id), as
    written: converted lead ids are not yet re-pointed (`_through`)."""
    a = activities
    return _coalesce(_col(a, "WhoId"), _col(a, "ContactId"), _col(a, "LeadId"))


def _says_converted(leads: pd.DataFrame) -> pd.Series:
    """Lead rows that name the contact they were converted into (IsConverted, or a
    ConvertedContactId without it), whatever their `_reason`."""
    has_contact = _col(leads, "ConvertedContactId").notna()
    if "IsConverted" in leads.columns:
        flag = _bools(leads, "IsConverted").fillna(False).astype(bool)
    else:
        flag = has_contact
    return flag & has_contact


def _converted(leads: pd.DataFrame) -> pd.Series:
    """Lead rows converted into a contact, of the rows loaded."""
    return _says_converted(leads) & _ok(leads)


def _deleted_into_live(leads: pd.DataFrame, contacts: pd.DataFrame | None) -> pd.Series:
    """Converted lead rows marked deleted whose Contact is a live row of the export.

    The lead row stays set aside as deleted, but the person lives: in Salesforce a converted
    lead's tasks, campaign members and opportunity belong to its contact, so they are
    re-pointed at it as a live lead's are. (A deleted lead whose contact is deleted or not in
    the export is not: its rows stay set aside as pointing at a deleted record.)
    """
    deleted = _deleted(leads)
    if contacts is None or not deleted.any():
        return pd.Series(False, index=leads.index)
    live = contacts.loc[_ok(contacts), "contact_id"].dropna()
    into = _col(leads, "ConvertedContactId")
    return deleted & _says_converted(leads) & is_in(into, live).to_numpy(dtype=bool)


def _hands_over(leads: pd.DataFrame, contacts: pd.DataFrame | None) -> pd.Series:
    """Lead rows whose rows elsewhere (tasks, members, opportunity) go to their contact."""
    return _converted(leads) | _deleted_into_live(leads, contacts)


def _lead_map(leads: pd.DataFrame, contacts: pd.DataFrame | None) -> pd.Series:
    """Converted lead id -> the id of the contact it became (`_hands_over`'s leads)."""
    conv = _hands_over(leads, contacts) & leads["contact_id"].notna()
    pairs = pd.DataFrame(  # a Lead file without ConvertedContactId converts nothing
        {"lead": leads.loc[conv, "contact_id"], "contact": _col(leads, "ConvertedContactId")[conv]}
    ).drop_duplicates("lead")
    return pd.Series(pairs["contact"].to_numpy(), index=pairs["lead"].to_numpy(), dtype="string")


def _through(ids: pd.Series, lead_map: pd.Series) -> pd.Series:
    """Re-point converted lead ids at their contact."""
    if lead_map.empty:
        return ids
    return _coalesce(_lookup(ids, lead_map), ids)


def _lookup(values: pd.Series, table: pd.Series) -> pd.Series:
    """`values.map(table).astype("string")` for a table with unique keys, by Arrow's hash
    lookup: pandas maps ten million campaign members one Python string at a time."""
    return _Positions(values, table.index).take(table)


class _Positions:
    """Where each of `values` is in the unique `keys` (Arrow's hash lookup, done once), to take
    several columns of one table for the same values."""

    def __init__(self, values: pd.Series, keys: pd.Index) -> None:
        text = parse.arrow_text(values)
        self.values = values
        self.kind = text.type
        key_text = pa.array(keys.astype("string"), type=text.type, from_pandas=True)
        self.where = pc.index_in(text, value_set=key_text, skip_nulls=not keys.hasnans)

    def found(self) -> pd.Series:
        """The values that are keys."""
        hit = self.where.is_valid().to_numpy(zero_copy_only=False)
        return pd.Series(hit, index=self.values.index)

    def take(self, table: pd.Series) -> pd.Series:
        column = pa.array(table.astype("string"), type=self.kind, from_pandas=True)
        found = pc.take(column, self.where)
        return pd.Series(ArrowStringArray(found), index=self.values.index, name=self.values.name)

    def categorical(self, table: pd.Series, missing: str | None = None) -> pd.Series:
        """`take(table).fillna(missing)` as a categorical: one code per row, not ten million
        strings (`assemble` types it on its categories and decodes it once)."""
        codes, categories = pd.factorize(table.astype("string"), use_na_sentinel=True)
        categories = pd.Index(categories, dtype="str")
        if missing is not None and missing not in categories:
            categories = categories.append(pd.Index([missing], dtype="str"))
        fill = -1 if missing is None else categories.get_loc(missing)
        by_key = np.append(np.where(codes < 0, fill, codes), fill)  # last slot: not found
        rows = by_key[pc.fill_null(self.where, -1).to_numpy()]
        return pd.Series(
            pd.Categorical.from_codes(rows, categories), index=self.values.index, name=None
        )


def _deals(
    opps: pd.DataFrame,
    roles: pd.DataFrame | None,
    leads: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    lead_map: pd.Series,
    dates: _Dates,
    persons: _PersonAccounts,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Opportunities as deals, plus the person<->deal links and the dates stages need (of
    every row not set aside here: `deal_dates.DealDates` takes those `assemble` loads).
    `persons`: what the export says of its accounts (`_person_accounts`)."""
    d = opps.copy()
    d.attrs.pop("warnings", None)  # the readers' warnings: said once, from the object's frame
    ok = _ok(d)
    created, created_text = dates.first(d, [("created_at", "Opportunity.CreatedDate")])
    close = dates.parse(d, "CloseDate", "Opportunity.CloseDate")
    won = _bools(d, "is_won")
    closed = _bools(d, "is_closed").fillna(won.fillna(False)).fillna(False).astype(bool)
    closed_at = parse.not_before_on_its_day(close.where(closed), [created], dates.options.timezone)
    d["created_at"] = created_text
    d["is_closed"] = _bool_text(d, "is_closed")
    d["is_won"] = _bool_text(d, "is_won")
    d["closed_at"] = _iso(closed_at).fillna(_col(d, "CloseDate").where(closed))

    # who is on each deal: Opportunity.ContactId, then contact roles, then the converted lead,
    # then the person of a person account; a person the export marks deleted last of all
    keys = _row_keys(d)
    rows = pd.DataFrame({"deal_id": d.loc[ok, "deal_id"], "row": keys[ok]})
    own = rows.assign(contact_id=_col(d, "contact_id")[ok], priority=0)
    links = pd.concat([own, _deal_links(rows, roles, leads, contacts)], ignore_index=True)
    links["contact_id"] = _through(links["contact_id"].astype("string"), lead_map)
    links = links.dropna(subset=["deal_id", "contact_id"])
    links = pd.concat([links, _person_links(rows, _col(d, "account_id"), links, persons.contacts)])
    gone = is_in(links["contact_id"], _deleted_people(leads, contacts)).to_numpy(dtype=bool)
    best = links.assign(priority=links["priority"] + _DELETED_LAST * gone)
    best = best.sort_values("priority", kind="stable")
    chosen = best.drop_duplicates("row").set_index("row")["contact_id"]
    d["contact_id"] = keys.map(chosen).astype("string").where(ok, _col(d, "contact_id"))
    several = _several_contacts(best)
    if not several.empty:
        d[CONTACT_LISTS] = keys.map(several).astype("string").where(ok)

    deal_dates = rows.assign(
        created=created[ok], closed=closed_at[ok], won=won[ok].fillna(False).astype(bool)
    )
    return d, links[["deal_id", "contact_id", "row"]].drop_duplicates(), deal_dates


def _several_contacts(links: pd.DataFrame) -> pd.Series:
    """Each Opportunity row's contacts (`links`: row, contact_id, in order of priority, its
    `contact_id` first), `MULTI_SEPARATOR`-separated as HubSpot writes a deal's several, of
    the rows that name more than one: the deal is judged by any of them
    (`smk.sla.deal_contacts`), so the order of its contact roles changes nothing."""
    people = links.drop_duplicates(["row", "contact_id"])
    people = people[people["row"].duplicated(keep=False).to_numpy(dtype=bool)]
    codes, keys = pd.factorize(people["row"])
    ids = people["contact_id"].astype(str).to_numpy(dtype=object)
    place = people.groupby(codes, sort=False).cumcount().to_numpy()
    lists = np.empty(len(keys), dtype=object)
    lists[codes[place == 0]] = ids[place == 0]
    for k in range(1, int(place.max(initial=0)) + 1):  # the k-th contact of every row at once
        at = place == k
        lists[codes[at]] = lists[codes[at]] + MULTI_SEPARATOR + ids[at]
    return pd.Series(lists, index=keys, dtype="string")


#: added to the `priority` of a deal's link to a person the export marks deleted: a live
#: contact role or converted lead is the deal's contact before it; alone, it is cleared by
#: the checks (`validate._clear_deleted_parents`), as Salesforce clears a deleted lookup
_DELETED_LAST = 10


def _deleted_people(leads: pd.DataFrame | None, contacts: pd.DataFrame | None) -> pd.Series:
    """The ids of the Leads and Contacts the export marks deleted (not those a live row of
    the export holds too)."""
    frames = [f for f in (contacts, leads) if f is not None]
    empty = [pd.Series(dtype="string")]
    gone = pd.concat([f.loc[_deleted(f), "contact_id"] for f in frames] + empty)
    live = pd.concat([f.loc[_ok(f), "contact_id"] for f in frames] + empty)
    return gone[~is_in(gone, live).to_numpy(dtype=bool)].astype("string")


def _person_links(
    rows: pd.DataFrame, account: pd.Series, links: pd.DataFrame, persons: pd.Series
) -> pd.DataFrame:
    """The person of a person account (`persons`) on each Opportunity row of it (`rows`, by
    its `account`) that names no one otherwise (`links`: ContactId, contact roles, the
    converted Lead): an opportunity on a person account is that person's (`priority` 4)."""
    alone = rows[~rows["row"].isin(links["row"]).to_numpy(dtype=bool)]
    person = _lookup(account[alone.index], persons)
    return alone.assign(contact_id=person, priority=4).dropna(subset=["contact_id"])


def _deal_links(
    rows: pd.DataFrame,
    roles: pd.DataFrame | None,
    leads: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
) -> pd.DataFrame:
    """The person<->deal links of each Opportunity row (`rows`: deal_id, row) that come from
    other objects, which name the deal, not a copy of it: contact roles (primary first), then
    the Lead converted into it (`priority` 1, 2, 3), in file order within a priority."""
    parts = []
    if roles is not None and not roles.empty:
        r = roles[_ok(roles)]
        primary = _bools(r, "IsPrimary").fillna(False).astype(bool)
        parts.append(
            pd.DataFrame(
                {
                    "deal_id": r["OpportunityId"],
                    "contact_id": r["ContactId"],
                    "priority": (~primary).astype(int) + 1,
                }
            )
        )
    if leads is not None and "ConvertedOpportunityId" in leads.columns:
        conv = _hands_over(leads, contacts)
        parts.append(
            pd.DataFrame(
                {
                    "deal_id": leads.loc[conv, "ConvertedOpportunityId"],
                    "contact_id": leads.loc[conv, "ConvertedContactId"],
                    "priority": 3,
                }
            )
        )
    if not parts:
        return rows.head(0).assign(contact_id=pd.Series(dtype="string"), priority=0)
    links = pd.concat(parts, ignore_index=True).dropna(subset=["deal_id"])
    links["order"] = np.arange(len(links))
    merged = rows.merge(links, on="deal_id")
    return merged.sort_values(["priority", "order"], kind="stable").drop(columns="order")


@dataclass(frozen=True)
class _PersonAccounts:
    """What the export says of its accounts (`_person_accounts`). `contacts`: each person
    account's person (account id -> contact id, of the contacts the export holds);
    `flagged`: the accounts it calls person accounts; `business`: those it calls business
    accounts. An account it calls neither (an export without IsPersonAccount or
    PersonContactId, such as a report, or an account it does not hold) is not known to be
    either."""

    contacts: pd.Series
    flagged: pd.Series
    business: pd.Series

    def unfound(self) -> pd.Series:
        """The person accounts whose person is not among the export's contacts."""
        return self.flagged[~self.flagged.isin(self.contacts.index)]


def _person_accounts(
    accounts: pd.DataFrame | None, contacts: pd.DataFrame | None
) -> _PersonAccounts:
    """Which accounts are person accounts, and each one's person. A Person Account is an
    Account that is a person, with one Contact of its own; an opportunity or a task logged on
    it usually names no contact. It is one when the Account's `IsPersonAccount` or the
    `IsPersonAccount` of a Contact of it says so, or the Account has a `PersonContactId`; an
    account of the export that has those columns and is not one is a business account. Its
    person is the Account's `PersonContactId`, else its only Contact, of the contacts the
    export holds (rows read, not marked deleted)."""
    contacts = contacts if contacts is not None else _empty_frame("Contact")
    said = _bools(contacts, "IsPersonAccount")
    c = pd.DataFrame(
        {
            "contact_id": _col(contacts, "contact_id"),
            "account_id": _col(contacts, "account_id"),
            "said": said.fillna(False).astype(bool),
            "denied": said.eq(False).fillna(False).astype(bool),
        }
    )[_ok(contacts) & _col(contacts, "contact_id").notna()]
    a = accounts[_ok(accounts)] if accounts is not None else _empty_frame("Account")
    account = _col(a, "account_id")
    person_id = _col(a, "PersonContactId")
    is_person = _bools(a, "IsPersonAccount")
    said_so = account[is_person.fillna(False).astype(bool)]
    named = pd.Series(person_id.to_numpy(), index=account.to_numpy())
    named = named[named.isin(c["contact_id"]).to_numpy() & account.notna().to_numpy()]
    own = c[c["said"] | c["account_id"].isin([*said_so.dropna(), *named.index])]
    own = own.dropna(subset=["account_id"]).drop_duplicates("contact_id")
    single = own[~own["account_id"].duplicated(keep=False)]
    found = pd.concat(
        [named, pd.Series(single["contact_id"].to_numpy(), index=single["account_id"])]
    )
    flagged = pd.concat([said_so, account[person_id.notna()], c.loc[c["said"], "account_id"]])
    flagged = flagged.dropna().drop_duplicates()
    known = is_person.notna() | ("PersonContactId" in a.columns)  # the export says which
    business = pd.concat([account[known], c.loc[c["denied"], "account_id"]]).dropna()
    business = business[~business.isin(flagged)].drop_duplicates()
    return _PersonAccounts(
        found[~found.index.duplicated()].astype("string"),
        flagged.astype("string"),
        business.astype("string"),
    )


def _unfound_person_notes(raw: dict[str, pd.DataFrame], persons: _PersonAccounts) -> list[str]:
    """A warning counting the opportunities and the Tasks and Events that name no one,
    logged on person accounts whose person is not among the export's contacts
    (`_PersonAccounts.unfound`: a filtered Contact export, or none): the opportunities load
    with no contact, the activities are set aside for a fault (`PERSON_NOT_IN_EXPORT`)."""
    counts, what, then = {}, [], []
    if "deals" in raw:
        d = raw["deals"][_ok(raw["deals"]) & raw["deals"]["contact_id"].isna()]
        lost = is_in(_col(d, "account_id"), persons.unfound()).to_numpy(dtype=bool)
        counts["deals"] = n = d.loc[lost, "deal_id"].nunique()
        if n:
            what.append(f"{n:,} opportunit{'y' if n == 1 else 'ies'}")
            then.append(f"the opportunit{'y loads' if n == 1 else 'ies load'} with no contact")
    if "activities" in raw:
        counts["activities"] = n = int(raw["activities"]["_reason"].eq(PERSON_NOT_IN_EXPORT).sum())
        if n:
            s = "s" if n > 1 else ""
            what.append(f"{n:,} task{s} or event{s}")
            then.append(
                f"the task{s} or event{s} {'are' if s else 'is'} set aside "
                f"({PERSON_NOT_IN_EXPORT!r})"
            )
    if not what:
        return []
    tables = ", ".join(t for t, n in counts.items() if n)
    name = "names" if sum(counts.values()) == 1 else "name"
    return [
        f"{tables}: {' and '.join(what)} on a person account {name} no one, and the "
        "account's person (its PersonContactId, or its one Contact) is not among the export's "
        f"contacts: {', and '.join(then)}. Export the Contacts of the person accounts with "
        "the rest (a Contact export filtered by a list view or a report leaves them out)"
    ]


def _account_by_name(accounts: pd.DataFrame | None) -> dict[str, str]:
    """Account name (folded) -> account id, for names that only one account has."""
    named = _account_names(accounts)
    unique = named[named["name"].map(named["name"].value_counts()) == 1]
    return dict(zip(unique["name"], unique["account_id"], strict=True))


def _account_names(accounts: pd.DataFrame | None) -> pd.DataFrame:
    """The loaded accounts' names, folded as a lead's Company is matched (trimmed, lower
    case), with their ids: one row per account and name (an account listed twice, set aside
    later as a duplicate, is one account)."""
    if accounts is None or "name" not in accounts.columns:
        return pd.DataFrame({"name": [], "account_id": []}, dtype="string")
    a = accounts[_ok(accounts)]
    named = pd.DataFrame(
        {"name": _col(a, "name").str.strip().str.lower(), "account_id": _col(a, "account_id")}
    )
    return named.dropna().drop_duplicates()


def _shared_company_notes(
    leads: pd.DataFrame, company: pd.Series, open_leads: pd.Series, accounts: pd.DataFrame | None
) -> list[str]:
    """A warning when unconverted leads (`open_leads`) get no account because several accounts
    have the name of their Company (`company`, folded): the match is by name, and an
    ambiguous name is not guessed."""
    counts = _account_names(accounts)["name"].value_counts()
    shared = counts[counts > 1]
    if shared.empty:
        return []
    hit = open_leads & is_in(company, shared.index.to_series()).to_numpy(dtype=bool)
    if not hit.any():
        return []
    written = _col(leads, "Company").str.strip()[hit]
    first = written.groupby(company[hit], sort=False).first()
    examples = ", ".join(f"{first[n]!r} ({shared[n]} accounts)" for n in first.index[:3])
    n, names = int(hit.sum()), len(first)
    return [
        f"contacts: {n} unconverted lead{'s have' if n > 1 else ' has'} no account: "
        f"{'their' if n > 1 else 'its'} Company is the name of several accounts ({names} "
        f"name{'s' if names > 1 else ''}, e.g. {examples}); a lead is given the account whose "
        "name equals its Company only when exactly one account has that name. Give such "
        "accounts distinct names, or convert the leads in Salesforce"
    ]


_PERSON_TEXT = ("email", "owner_id", "country", "job_title", "original_source_detail")


def _contacts(
    leads: pd.DataFrame | None,
    contacts: pd.DataFrame | None,
    accounts: pd.DataFrame | None,
    dates: _Dates,
    warnings: list[str],
    history: _StatusHistory | None = None,
) -> pd.DataFrame:
    """Leads and Contacts as one row per person (see the module docstring for the rules);
    unconverted leads whose Company several accounts have are named in `warnings`. The lead
    status `history` (LeadHistory) dates stages too; its rows follow, all set aside.

    The opportunity and customer dates are not set here: `deal_dates.DealDates` sets them, and raises
    the stage, from the deals `assemble` loads."""
    leads = leads.copy() if leads is not None else _empty_frame("Lead")
    contacts = contacts.copy() if contacts is not None else _empty_frame("Contact")

    # ---- lead side: one value per lead row
    l_ok = _ok(leads) & leads["contact_id"].notna()
    conv = _converted(leads) & l_ok
    l_created, l_created_t = dates.first(leads, [("created_at", "Lead.CreatedDate")])
    l_mql, l_mql_t = dates.first(leads, [("MQL_Date__c", "Lead.MQL_Date__c")])
    l_sql, l_sql_t = dates.first(leads, [("SQL_Date__c", "Lead.SQL_Date__c")])
    if history is not None:  # by person: a converted lead's history is its contact's
        l_person = _col(leads, "ConvertedContactId").where(conv, leads["contact_id"])
        l_mql, l_mql_t = history.earlier("mql", l_person, l_mql, l_mql_t)
        l_sql, l_sql_t = history.earlier("sql", l_person, l_sql, l_sql_t)
    c_sql, c_sql_t = dates.first(leads, [("ConvertedDate", "Lead.ConvertedDate")])
    # a date: a conversion on the day of the lead's creation or MQL was not before them
    c_sql = parse.not_before_on_its_day(c_sql, [l_created, l_mql], dates.options.timezone)
    c_sql_t = _iso(c_sql).fillna(c_sql_t)
    l_sql = l_sql.fillna(c_sql.where(conv))
    l_sql_t = l_sql_t.fillna(c_sql_t.where(conv))
    company = _col(leads, "Company").str.strip().str.lower()
    matched = company.map(_account_by_name(accounts))
    warnings.extend(_shared_company_notes(leads, company, l_ok & ~conv, accounts))
    warnings.extend(_unknown_lead_status_notes(_col(leads, "Status")[l_ok]))
    lead_side = pd.DataFrame(
        {
            "person": _col(leads, "ConvertedContactId").where(conv, leads["contact_id"]),
            "lead_id": leads["contact_id"],
            "created": l_created,
            "created_t": l_created_t,
            "mql": l_mql,
            "mql_t": l_mql_t,
            "sql": l_sql,
            "sql_t": l_sql_t,
            "account_id": _col(leads, "ConvertedAccountId")
            .where(conv)
            .fillna(matched.astype("string").where(~conv)),
            "status": _col(leads, "Status"),
            "converted": conv,
            **{c: _col(leads, c) for c in _PERSON_TEXT},
            # as the lead was scored: its Company's account by the one rule, converted or not
            AS_LEAD_COLUMNS["account_id"]: matched.astype("string"),
            **{AS_LEAD_COLUMNS[c]: _col(leads, c) for c in ("job_title", "country")},
        }
    )
    # converted leads of one person: the earliest is the person's lead, the others merged away;
    # the person's history is the union of them all
    order = lead_side[conv].sort_values("created", na_position="last", kind="stable")
    primary = order.drop_duplicates("person").index
    lead_side = _union_of_leads(lead_side, order)
    c_ok = _ok(contacts) & contacts["contact_id"].notna()
    known = contacts.loc[c_ok, "contact_id"]
    into_contact = primary[is_in(lead_side.loc[primary, "person"], known).to_numpy(dtype=bool)]
    merged_away = conv[conv].index.difference(primary).union(into_contact)
    of_deleted = _converted_into_deleted(lead_side, conv, contacts, c_ok, known)
    lead_rows = l_ok & ~leads.index.isin(merged_away.union(of_deleted))

    # ---- contact side: the union with the person's leads (each stage date the earliest of
    # the records, the source the earliest-created record's), details the Contact's
    c_created, c_created_t = dates.first(contacts, [("created_at", "Contact.CreatedDate")])
    c_mql, c_mql_t = dates.first(contacts, [("MQL_Date__c", "Contact.MQL_Date__c")])
    c_sql2, c_sql2_t = dates.first(contacts, [("SQL_Date__c", "Contact.SQL_Date__c")])
    if history is not None:  # (also of a deleted lead converted into it: `_lead_map`)
        c_mql, c_mql_t = history.earlier("mql", contacts["contact_id"], c_mql, c_mql_t)
        c_sql2, c_sql2_t = history.earlier("sql", contacts["contact_id"], c_sql2, c_sql2_t)
    lv = lead_side.loc[into_contact].set_index("person")
    lv = lv.reindex(contacts["contact_id"].to_numpy())
    lv.index = contacts.index
    created, created_t = _earlier(lv["created"], lv["created_t"], c_created, c_created_t)
    mql, mql_t = _earlier(lv["mql"], lv["mql_t"], c_mql, c_mql_t)
    sql, sql_t = _earlier(lv["sql"], lv["sql_t"], c_sql2, c_sql2_t)
    lead_first = lv["created"].le(c_created) | c_created.isna()
    l_source = lv["original_source_detail"].astype("string")
    c_source = _col(contacts, "original_source_detail")
    contact_side = pd.DataFrame(
        {
            "person": contacts["contact_id"],
            "lead_id": lv["lead_id"].astype("string"),
            "created": created,
            "created_t": created_t,
            "mql": mql,
            "mql_t": mql_t,
            "sql": sql,
            "sql_t": sql_t,
            "account_id": _col(contacts, "account_id").fillna(lv["account_id"].astype("string")),
            "status": lv["status"].astype("string"),
            "converted": lv["converted"].fillna(False).astype(bool),
            "email": _col(contacts, "email").fillna(lv["email"].astype("string")),
            "owner_id": _col(contacts, "owner_id").fillna(lv["owner_id"].astype("string")),
            "country": _col(contacts, "country").fillna(lv["country"].astype("string")),
            "job_title": _col(contacts, "job_title").fillna(lv["job_title"].astype("string")),
            # the person's original source: the earliest-created record's, else the other's
            "original_source_detail": l_source.where(lead_first, c_source).fillna(
                c_source.where(lead_first, l_source)
            ),
            **_as_new_lead(lv, contacts, lead_first),
        }
    )

    def finish(frame: pd.DataFrame, side: pd.DataFrame, rows: pd.Series, obj: str) -> None:
        s = side[rows]
        values = {
            "contact_id": s["person"],
            "created_at": s["created_t"],
            "became_lead_at": s["created_t"],
            "became_mql_at": s["mql_t"],
            "became_sql_at": s["sql_t"],
            **{col: pd.Series(pd.NA, index=s.index) for col in DEAL_DATES.values()},
            "lifecycle_stage": _stage(s),
            "account_id": s["account_id"],
            "original_source": translate(s["original_source_detail"], LEAD_SOURCE_CHANNEL),
            "original_source_detail": s["original_source_detail"],
            "lead_status": s["status"],
            "salesforce_lead_id": s["lead_id"],
            "salesforce_object": pd.Series(obj, index=s.index, dtype="string"),
            **{c: s[c] for c in ("email", "owner_id", "country", "job_title")},
            **{c: s[c] for c in AS_LEAD_COLUMNS.values()},
        }
        for col, value in values.items():
            if col not in frame.columns:
                frame[col] = pd.Series(pd.NA, index=frame.index, dtype="string")
            frame[col] = frame[col].astype("string")
            frame.loc[rows, col] = value.astype("string")

    finish(contacts, contact_side, c_ok, "Contact")
    finish(leads, lead_side, lead_rows, "Lead")
    leads.loc[merged_away, "_reason"] = _MERGED
    leads["_merged_into"] = lead_side["person"].where(leads.index.isin(merged_away))
    leads.loc[of_deleted, "_reason"] = CONVERTED_INTO_DELETED
    if history is None:
        return pd.concat([contacts, leads], ignore_index=True)
    people = pd.concat([contacts.loc[c_ok, "contact_id"], leads.loc[lead_rows, "contact_id"]])
    gone = pd.concat([f.loc[_deleted(f), "contact_id"] for f in (contacts, leads)])
    return pd.concat([contacts, leads, history.accounted(people, gone)], ignore_index=True)


def _as_new_lead(lv: pd.DataFrame, contacts: pd.DataFrame, lead_first: pd.Series) -> dict:
    """The extra columns `AS_LEAD_COLUMNS` of each Contact's row: a person that began as its
    Lead (`lv`, the lead's values by contact row; `lead_first`: created no later than the
    Contact) has its Lead's account, title and country, as they were known when it was scored,
    blank or not; any other person its Contact's own."""
    began_as_lead = lv["lead_id"].notna() & lead_first.fillna(False).astype(bool)
    return {
        extra: lv[extra].astype("string").where(began_as_lead, _col(contacts, col))
        for col, extra in AS_LEAD_COLUMNS.items()
    }


def _deleted(frame: pd.DataFrame) -> pd.Series:
    """Rows set aside as deleted in Salesforce."""
    return frame["_reason"].eq(DELETED_IN_SALESFORCE).fillna(False).astype(bool)


_HISTORY = (("created", "created_t"), ("mql", "mql_t"), ("sql", "sql_t"))


def _union_of_leads(side: pd.DataFrame, order: pd.DataFrame) -> pd.DataFrame:
    """`side` with the converted leads (`order`: their rows, earliest created first) of a person
    converted more than once given the person's history: each stage date the earliest of its
    leads (a value one of them could not read wins, so `assemble` sets the person aside with
    it, as it would a record of its own) and the source of the earliest-created lead that has
    one."""
    several = order[order["person"].duplicated(keep=False)]
    if several.empty:  # the usual export: one lead per person, nothing to combine
        return side
    side = side.copy()
    by = several.groupby("person", sort=False)
    for when, text in _HISTORY:
        earliest = by[when].transform("min")
        unread = several[text].where(several[when].isna()).groupby(several["person"])
        side.loc[several.index, when] = earliest
        side.loc[several.index, text] = unread.transform("first").fillna(_iso(earliest))
    side.loc[several.index, "original_source_detail"] = by["original_source_detail"].transform(
        "first"
    )
    return side


def _earlier(
    a: pd.Series, a_text: pd.Series, b: pd.Series, b_text: pd.Series
) -> tuple[pd.Series, pd.Series]:
    """The earlier of two dates, row by row, with its text; a value that could not be read
    (`a`'s first) gives its text instead, so `assemble` sets the row aside with it."""
    when = a.where(a.le(b) | b.isna(), b)
    text = _iso(when)
    for parsed, raw in ((b, b_text), (a, a_text)):
        raw = raw.astype("string")
        text = raw.where(parsed.isna() & raw.notna(), text)
    return when, text


def _converted_into_deleted(
    lead_side: pd.DataFrame,
    conv: pd.Series,
    contacts: pd.DataFrame,
    c_ok: pd.Series,
    known: pd.Series,
) -> pd.Index:
    """Converted lead rows whose Contact is in the export but marked deleted: the person is
    deleted, so the lead must not stand in for a missing contact (it would bring the deleted
    id back to life, with the tasks, deals and campaign members re-pointed at it)."""
    if c_ok.all():  # nothing deleted (the usual export): no work
        return pd.Index([], dtype=lead_side.index.dtype)
    gone_ids = contacts.loc[_deleted(contacts), "contact_id"].dropna()
    gone_ids = gone_ids[~is_in(gone_ids, known)]  # a live row of the same id wins
    if gone_ids.empty or not conv.any():
        return pd.Index([], dtype=lead_side.index.dtype)
    person = lead_side.loc[conv, "person"]
    return person.index[is_in(person, gone_ids).to_numpy(dtype=bool)]


#: `LeadHistory.Field` of a Status change: the API name, or the label a report shows
_STATUS_FIELD = ("status", "lead status")


@dataclass(frozen=True)
class _StatusHistory:
    """The LeadHistory rows read (`rows`, `_reason` set on those no person can use) and, row
    by row, the person the lead is (a converted lead's contact: `_lead_map`), the stage its
    Status change entered (`LEAD_STATUS_STAGE`; other values: missing) and when."""

    rows: pd.DataFrame
    person: pd.Series
    stage: pd.Series
    when: pd.Series

    def first(self, stage: str) -> pd.Series:
        """By person: the first moment it entered a status of `stage`."""
        hit = (_ok(self.rows) & self.stage.eq(stage).fillna(False)).to_numpy(dtype=bool)
        first = self.when[hit].groupby(self.person[hit]).min()
        return pd.to_datetime(first, utc=True).dropna()  # (none: min has lost the zone)

    def earlier(
        self, stage: str, people: pd.Series, when: pd.Series, text: pd.Series
    ) -> tuple[pd.Series, pd.Series]:
        """`people`'s dates of `stage` (`when`, `text`: a custom field's) or, when it is
        earlier or they have none, the first moment their history entered the stage."""
        found = dates_of(people, self.first(stage))
        return _earlier(when, text, found, _iso(found))

    def accounted(self, people: pd.Series, gone: pd.Series) -> pd.DataFrame:
        """The rows as set-aside rows of the contacts table: read into a person loaded
        (`people`), of a lead or contact deleted (`gone`), else of a lead not in the export."""
        reason = self.rows["_reason"].astype("string")
        open_ = reason.isna()
        loaded = is_in(self.person, people).to_numpy(dtype=bool)
        deleted = is_in(self.person, gone).to_numpy(dtype=bool)
        reason = reason.mask(open_ & loaded, LEAD_STATUS_READ)
        reason = reason.mask(open_ & ~loaded & deleted, PARENT_DELETED["contact_id"])
        # the status entered, never another field's value (an e-mail, a name)
        status = _col(self.rows, "NewValue").where(_status_changes(self.rows))
        column, value = LEAD_HISTORY_ROWS
        return pd.DataFrame(
            {
                "contact_id": pd.Series(pd.NA, index=reason.index, dtype="string"),
                "salesforce_lead_id": _col(self.rows, "LeadId"),
                "lead_status": status,
                column: pd.Series(value, index=reason.index, dtype="string"),
                "_file": self.rows["_file"],
                "_row": self.rows["_row"],
                "_reason": reason.fillna("unknown LeadId"),
            }
        )


def _status_history(
    history: pd.DataFrame | None, lead_map: pd.Series, dates: _Dates, warnings: list[str]
) -> _StatusHistory | None:
    """The Status changes of a LeadHistory file (None without one). Rows of other fields are
    set aside by design; a row without a LeadId or a readable CreatedDate as a fault."""
    if history is None:
        return None
    h = history.copy()
    h.loc[_ok(h) & _older_copies(h), "_reason"] = OLDER_COPY
    h.loc[_ok(h) & ~_status_changes(h), "_reason"] = LEAD_OTHER_FIELD
    lead = _col(h, "LeadId")
    h.loc[_ok(h) & lead.isna(), "_reason"] = "missing LeadId"
    when, raw = dates.first_raw(h, [("CreatedDate", "LeadHistory.CreatedDate")])
    undated = _ok(h) & when.isna()
    h.loc[undated & raw.isna(), "_reason"] = "missing CreatedDate"
    h.loc[undated & raw.notna(), "_reason"] = "unparseable CreatedDate"
    said = lead_status_stage(_col(h, "NewValue"))
    warnings.extend(_unknown_status_notes(h, said))
    stage = said.where(said.isin(STAGES))
    return _StatusHistory(h, _through(lead, lead_map), stage, when)


def _older_copies(history: pd.DataFrame) -> np.ndarray:
    """The LeadHistory rows whose `Id` a row of another file holds too (the history read from
    several downloads): a history row never changes, so one copy is read, the one in the file
    exported last by its name (`export_key`), else the first read; the others are older copies."""
    ids, files = _col(history, "Id"), history["_file"].astype("string")
    names = list(files.dropna().unique())  # in the order read
    if len(names) < 2 or ids.isna().all():
        return np.zeros(len(history), dtype=bool)
    newest_first = sorted(names, key=lambda n: export_key(n) or ("", -1), reverse=True)
    rank = files.map({n: newest_first.index(n) for n in names})
    order = pd.DataFrame({"id": ids, "rank": rank}).sort_values("rank", kind="stable")
    kept = order.dropna(subset="id").drop_duplicates("id").set_index("id")["rank"]
    return (ids.notna() & rank.ne(ids.map(kept))).to_numpy(dtype=bool)


def _status_changes(history: pd.DataFrame) -> pd.Series:
    """LeadHistory rows that record a change of the Lead's Status (`Field`, any case)."""
    field = _col(history, "Field").str.strip().str.lower()
    return field.isin(_STATUS_FIELD).fillna(False).astype(bool)


def _unknown_status_notes(history: pd.DataFrame, said: pd.Series) -> list[str]:
    """A warning naming the statuses Status changes entered that `LEAD_STATUS_STAGE` does not
    know: they date no stage (an org's own MQL status among them would leave MQLs undated)."""
    unknown = said[_ok(history) & said.notna() & ~said.isin(STAGES)]
    if unknown.empty:
        return []
    counts = unknown.value_counts().sort_index()
    names = ", ".join(f"{v!r} ({n})" for v, n in counts.head(5).items())
    n = len(unknown)
    return [
        f"contacts: {n} lead status change{'s' if n > 1 else ''} in LeadHistory entered a "
        f"status smk's Lead Status vocabulary does not know ({names}): they date no stage; "
        "the statuses read as MQL and SQL are listed in LEAD_STATUS_STAGE"
    ]


def lead_status_stage(values: pd.Series) -> pd.Series:
    """The stage each Lead Status says: by `LEAD_STATUS_STAGE`, else by its first words
    (`_STATUS_WORDS`); a status neither reads stays as written (it says no stage)."""
    said = translate(values, LEAD_STATUS_STAGE)
    unknown = said[said.notna() & ~said.isin(STAGES)]
    if unknown.empty:
        return said
    return said.where(~said.index.isin(unknown.index), _status_by_words(unknown))


@parse.on_uniques
def _status_by_words(values: pd.Series) -> pd.Series:
    """Statuses by `_STATUS_WORDS` (a stage), else as written."""
    out = values.astype("string")
    for pattern, stage in _STATUS_WORDS:
        hit = out.str.contains(pattern).fillna(False).astype(bool)
        if stage in ("mql", "sql"):
            hit &= ~out.str.contains(_STATUS_UNSAID).fillna(False).astype(bool)
        out = out.mask(hit & ~out.isin(STAGES), stage)
    return out


def _unknown_lead_status_notes(status: pd.Series) -> list[str]:
    """A warning naming the Lead Status values of Lead rows (`status`) that `lead_status_stage`
    does not read: an org's own statuses say no stage, so its own MQL status counts no MQL
    unless a date says it (the SLA judges such a lead by its dates, not as disqualified)."""
    said = lead_status_stage(status)
    unknown = status[said.notna() & ~said.isin(STAGES)].str.strip()
    if unknown.empty:
        return []
    counts = unknown.value_counts().sort_index().sort_values(ascending=False, kind="stable")
    listed = ", ".join(f"{v!r} ({n:,})" for v, n in counts.head(10).items())
    listed += f", ... ({len(counts)} values in all)" if len(counts) > 10 else ""
    n = int(counts.sum())
    return [
        f"contacts.lead_status: {n:,} lead{'s have' if n > 1 else ' has'} a Lead Status "
        f"outside the vocabulary: {listed}. Such a status says no stage: the lead's stage comes "
        "from its dates (MQL_Date__c, SQL_Date__c, its LeadHistory, its conversion), and the "
        "status is kept in lead_status. smk reads the statuses of LEAD_STATUS_STAGE, and one "
        "beginning with New, Open, Working, Contacted, Attempted or Nurturing as lead, with Disqualified, Unqualified or Not Qualified as other (disqualified), "
        "with MQL or Marketing Qualified as mql, with SQL or Sales Qualified as sql; the "
        "Salesforce loader takes no mapping of Lead Status: an org's own MQL status counts "
        "MQLs only through a date (MQL_Date__c)"
    ]


def _stage(side: pd.DataFrame) -> pd.Series:
    """The furthest stage a person reached before any deal: stage dates, raised by what the
    Lead Status says (a disqualified lead is `other`, as HubSpot's stage). Its loaded deals
    raise it further (`deal_dates.DealDates`): a disqualified lead with a deal was not dropped."""
    rank = {s: i for i, s in enumerate(STAGES)}
    stage = pd.Series("lead", index=side.index, dtype="string")
    for name, reached in (
        ("mql", side["mql_t"].notna()),
        ("sql", side["sql_t"].notna() | side["converted"]),
    ):
        stage = stage.mask(reached.fillna(False).astype(bool), name)
    said = lead_status_stage(side["status"])
    said = said.where(said.isin(list(rank)))
    dropped = said.eq("other")
    said = said.where(said.ne("other"))
    higher = said.notna() & (
        said.map(rank).fillna(-1).astype(int) > stage.map(rank).fillna(-1).astype(int)
    )
    stage = stage.mask(higher.fillna(False).astype(bool), said)
    return stage.mask(dropped.fillna(False).astype(bool), "other")


def _touchpoints(
    members: pd.DataFrame,
    campaigns: pd.DataFrame | None,
    lead_map: pd.Series,
    dates: _Dates,
    warnings: list[str],
) -> pd.DataFrame:
    """Responded campaign members as touchpoints, with channel and type from their campaign."""
    m = members.copy()
    with ThreadPoolExecutor(max_workers=1) as side:  # two independent halves of the work
        people_and_dates = side.submit(_member_people_and_dates, m, lead_map, dates)
        columns = _member_campaigns(m, campaigns, warnings)
        contact_id, occurred_at = people_and_dates.result()
    responded, known = columns.pop("_responded"), columns.pop("_known")
    m["touchpoint_id"] = _col(m, "Id")
    m["contact_id"] = contact_id
    m["occurred_at"] = occurred_at
    for col, values in columns.items():
        m[col] = values
    ok = _ok(m)
    m.loc[ok & ~responded, "_reason"] = NO_RESPONSE
    m.loc[_ok(m) & ~known, "_reason"] = "unknown campaign"
    return m.drop(columns=["Id"], errors="ignore")  # it is the touchpoint_id


def _member_people_and_dates(
    m: pd.DataFrame, lead_map: pd.Series, dates: _Dates
) -> tuple[pd.Series, pd.Series]:
    """Campaign members' contact (lead ids re-pointed) and the moment they responded."""
    contact = _coalesce(_col(m, "ContactId"), _col(m, "LeadId"), _col(m, "LeadOrContactId"))
    first, first_raw = dates.first_raw(
        m, [("FirstRespondedDate", "CampaignMember.FirstRespondedDate")]
    )
    created = dates.parse(m, "CreatedDate", "CampaignMember.CreatedDate")
    same_day = parse.on_day_of(first, created, dates.options.timezone)
    occurred = first.mask(same_day, created)
    # responded, its FirstRespondedDate blank while others have one: the earliest moment it
    # can have (its creation), warned of; a column blank throughout (or none) dates nothing
    blank = first_raw.isna() & _bools(m, "HasResponded").fillna(False).astype(bool)
    if first_raw.notna().any() and (n := int((blank & _ok(m)).sum())):
        occurred = occurred.mask(blank, created)
        dates.warnings.append(
            f"touchpoints: {n} campaign member{'s' if n > 1 else ''} that responded "
            "(HasResponded) with a blank FirstRespondedDate count at the member's CreatedDate, "
            "the earliest moment a response can have"
        )
    return _through(contact, lead_map), _for_assemble(occurred, first_raw)  # NaT: `first`'s


def _member_campaigns(
    m: pd.DataFrame, campaigns: pd.DataFrame | None, warnings: list[str]
) -> dict[str, pd.Series]:
    """Channel, campaign, touch type and campaign type of campaign members; `_responded` and
    `_known` (a campaign of the Campaign file) say which rows are touchpoints."""
    ok = _ok(m)
    if "HasResponded" in m.columns:
        responded = _bools(m, "HasResponded").fillna(False).astype(bool)
    else:
        responded = _col(m, "FirstRespondedDate").notna()
    campaign_id = _col(m, "CampaignId")
    to_channel = {k: c for k, (c, _) in CAMPAIGN_TYPES.items()}
    to_touch = {k: t for k, (_, t) in CAMPAIGN_TYPES.items()}
    own = campaigns is None and "CampaignType" in m.columns  # a report names its campaigns
    if own:
        campaigns = pd.DataFrame(
            {"Id": campaign_id, "Name": _col(m, "CampaignName"), "Type": _col(m, "CampaignType")}
        ).assign(_reason=m["_reason"])
    if campaigns is not None:
        c = campaigns[_ok(campaigns)].drop_duplicates("Id").set_index("Id")
        # translated on the campaigns, then looked up for the members (not 10M translations);
        # channel, campaign and default touch as categoricals (a code per member)
        types = _col(c, "Type")
        of_campaign = _Positions(campaign_id, c.index)  # one lookup for the four columns
        touches = translate(types, to_touch)
        return {
            "channel": of_campaign.categorical(translate(types, to_channel), "other"),
            "campaign": of_campaign.categorical(_col(c, "Name")),
            "touch_type": _member_touch(
                _col(m, "Status"),
                of_campaign.categorical(touches.where(touches.isin(TOUCH_TYPES)), "other"),
            ),
            "campaign_type": of_campaign.take(types),  # an extra column: text, as read
            "_responded": responded,
            "_known": pd.Series(True, index=m.index) if own else of_campaign.found(),
        }
    if ok.any():
        warnings.append(
            "touchpoints: the export has no Campaign file, so campaign members have channel "
            "'other' and their CampaignId as campaign name"
        )
    other = pd.Series(pd.Categorical.from_codes(np.zeros(len(m), np.int8), ["other"]), m.index)
    return {
        "channel": other,
        "campaign": campaign_id,
        "touch_type": _member_touch(_col(m, "Status"), other),
        "campaign_type": pd.Series(pd.NA, index=m.index, dtype="string"),
        "_responded": responded,
        "_known": pd.Series(True, index=m.index),
    }


def _member_touch(status: pd.Series, default: pd.Series) -> pd.Series:
    """The touch type a member's status names (`Clicked`, `Attended`), else the default of
    its campaign (a categorical without missing values); a categorical, worked out on the
    distinct statuses."""
    codes, statuses = pd.factorize(status, use_na_sentinel=True)
    said = translate(pd.Series(statuses, dtype="string"), MEMBER_STATUS_TOUCH)
    said = said.where(said.isin(TOUCH_TYPES))
    categories = default.cat.categories.union(pd.Index(said.dropna().unique(), dtype="str"))
    from_status = np.append(categories.get_indexer(said.fillna("\x00")), -1)[codes]
    from_default = categories.get_indexer(default.cat.categories)[default.cat.codes.to_numpy()]
    rows = np.where(from_status >= 0, from_status, from_default)
    return pd.Series(pd.Categorical.from_codes(rows, categories), index=status.index)


def _activities(
    frame: pd.DataFrame,
    obj: str,
    lead_map: pd.Series,
    deal_contact: pd.Series,
    persons: _PersonAccounts,
    dates: _Dates,
) -> pd.DataFrame:
    """Tasks (call / email / task) and Events (meetings) as activities. Without a `WhoId`, one
    logged on an opportunity is its contact's, one on a person account that person's
    (`persons`); one on a business account is set aside by design (`ACCOUNT_ACTIVITY`), one
    on a person account whose person the export lacks for its fault (`PERSON_NOT_IN_EXPORT`).
    On an account the export calls neither (it has no IsPersonAccount or PersonContactId),
    it is `missing contact_id`, a fault: smk cannot tell whose work it is. One related to no
    one and nothing (`_of_nothing`) is an internal calendar item, set aside by design
    (`INTERNAL_ACTIVITY`), and so is one logged on another record (`_on_another_record`: a
    Case, a Contract, a Campaign), support or contract work (`OTHER_RECORD_ACTIVITY`)."""
    a = frame.copy()
    who = _through(_who(a), lead_map)
    what = _coalesce(_col(a, "WhatId"), _col(a, "OpportunityId"))
    deal = what.where(what.str.startswith("006").fillna(False).astype(bool))
    from_deal = deal.map(deal_contact).astype("string") if len(deal_contact) else deal
    account = what.where(what.str.startswith("001").fillna(False).astype(bool))
    if obj == "Event":
        occurred = _event_moments(a, dates)
        kind = pd.Series("meeting", index=a.index, dtype="string")
    else:
        occurred = _task_moments(a, dates)
        sub = translate(_col(a, "TaskSubtype"), _TASK_SUBTYPE)
        typ = translate(_col(a, "Type"), _TASK_TYPE)
        kind = (
            sub.where(sub.isin(ACTIVITY_TYPES))
            .fillna(typ.where(typ.isin(ACTIVITY_TYPES)))
            .fillna("task")
        )
    a["activity_id"] = _col(a, "Id")
    a["contact_id"] = _coalesce(who, from_deal, _lookup(account, persons.contacts))
    a["deal_id"] = deal
    a["occurred_at"] = occurred
    a["type"] = kind.astype("string")
    a["owner_id"] = _col(a, "OwnerId")
    a["salesforce_object"] = obj
    if obj == "Task":
        a.loc[_ok(a) & _not_done(a, dates.warnings), "_reason"] = TASK_NOT_DONE
    alone = (_ok(a) & a["contact_id"].isna()).to_numpy(dtype=bool)
    a.loc[alone & is_in(account, persons.business).to_numpy(bool), "_reason"] = ACCOUNT_ACTIVITY
    a.loc[alone & is_in(account, persons.unfound()).to_numpy(bool), "_reason"] = (
        PERSON_NOT_IN_EXPORT
    )
    a.loc[alone & _of_nothing(a).to_numpy(bool), "_reason"] = INTERNAL_ACTIVITY
    a.loc[alone & _on_another_record(what).to_numpy(bool), "_reason"] = OTHER_RECORD_ACTIVITY
    return a.drop(columns=["Id"], errors="ignore")  # it is the activity_id


def _task_moments(tasks: pd.DataFrame, dates: _Dates) -> pd.Series:
    """When Tasks were done, as text (`_Dates.first`).

    A task counts at its `CompletedDateTime` (when the work was done: an auto-created
    follow-up is created at once and done days later). Without one, when it was logged
    (CreatedDate, else ActivityDate), warned of (`_warn_untimed_tasks`): a due date does not
    say when the work was done (a call logged in Sydney is due that local day, a to-do done
    early or late is due another), nor may done work count after the export was taken. An
    unreadable completion time is handed on as it is written, so that `assemble` sets the
    task aside with its text rather than counting it at its creation.
    """
    _parsed, logged = dates.first(
        tasks, [("CreatedDate", "Task.CreatedDate"), ("ActivityDate", "Task.ActivityDate")]
    )
    _parsed, done = dates.first(tasks, [("CompletedDateTime", "Task.CompletedDateTime")])
    return done.fillna(logged)


def _event_moments(events: pd.DataFrame, dates: _Dates) -> pd.Series:
    """When Events were held, as text (`_Dates.first`), as a HubSpot meeting counts at its
    start: a meeting booked before an MQL and held after it, or logged days after it was held,
    counts when it was held. That is its start (`ActivityDateTime`, else `StartDateTime`, else
    its date); an all-day event's (`IsAllDayEvent`) is its date, `ActivityDate`, date-only
    (the SLA reads it as the team's local day; `StartDateTime`, 00:00 UTC of that date, only
    when it has none). `CreatedDate`, when it was logged, only when the export has no start.
    """
    all_day = _bools(events, "IsAllDayEvent").fillna(False).to_numpy(dtype=bool)
    dated = _col(events, "ActivityDate").notna().to_numpy(dtype=bool)
    hide = {"ActivityDateTime": all_day, "StartDateTime": all_day & dated}
    held = events.assign(
        **{col: events[col].mask(rows) for col, rows in hide.items() if col in events.columns}
    )
    order = ("ActivityDateTime", "StartDateTime", "ActivityDate", "CreatedDate")
    _parsed, occurred = dates.first(held, [(col, f"Event.{col}") for col in order])
    return occurred


def _of_nothing(activities: pd.DataFrame) -> pd.Series:
    """Tasks and Events related to no person and no record: a blank `WhoId` and `WhatId` in an
    export that has both columns (a report without them does not say)."""
    if not {"WhoId", "WhatId"} <= set(activities.columns):
        return pd.Series(False, index=activities.index)
    return _who(activities).isna() & _col(activities, "WhatId").isna()


def _on_another_record(what: pd.Series) -> pd.Series:
    """Which `WhatId`s (18-character ids) name a record of an object `_activities` does not
    read (`_WHAT_READ`): a Case `500...`, a Contract `800...`, a Campaign `701...`, a custom
    object `a0X...`. A value that is no Salesforce id names no record."""
    is_id = what.str.fullmatch(r"[A-Za-z0-9]{18}").fillna(False).astype(bool)
    return is_id & ~what.str[:3].isin(_WHAT_READ).fillna(False).astype(bool)


def _warn_untimed_tasks(crm: CRM, task_columns: pd.Index) -> None:
    """Say how many done tasks loaded have no completion time (`_task_moments`): they count
    when they were logged rather than when they were done; name the column to export (a blank
    one: the export has it, `task_columns`). Counted once the checks are done: a task they set
    aside (a second copy, an unknown contact) counts nowhere."""
    acts = crm.activities
    tasks = _col(acts, "salesforce_object").eq("Task").fillna(False).to_numpy(dtype=bool)
    n = int((tasks & _col(acts, "CompletedDateTime").isna().to_numpy(dtype=bool)).sum())
    if not n:
        return
    task, has = ("tasks", "have") if n > 1 else ("task", "has")
    if "CompletedDateTime" in task_columns:
        why, advice = "a blank CompletedDateTime", ""
    else:
        why = "no CompletedDateTime (the export lacks the column)"
        advice = (
            ' Add Task.CompletedDateTime ("Completed Date/Time" in a task report) to the export.'
        )
    crm.quality.warnings.append(
        f"activities: {n} done {task} {has} {why}: such a task counts when it was logged "
        "(CreatedDate), not when it was done: a follow-up task created by automation the "
        f"minute a lead became an MQL answers it at once (speed to lead 0 h).{advice}"
    )


def _not_done(tasks: pd.DataFrame, warnings: list[str]) -> pd.Series:
    """Tasks nobody has done: an open `Status` (`TASK_STATUS_DONE`), else `IsClosed` false.

    A status the vocabulary does not know is left to `IsClosed`; without that column such tasks
    count as done, as before, and a warning names their statuses.
    """
    said = task_done(_col(tasks, "Status"))
    known = said.notna().to_numpy(dtype=bool)
    closed = _bools(tasks, "IsClosed")
    not_done = said.eq(False).fillna(False).to_numpy(dtype=bool)
    by_flag = closed.eq(False).fillna(False).to_numpy(dtype=bool)
    unknown = _col(tasks, "Status")[~known & closed.isna().to_numpy(dtype=bool) & _ok(tasks)]
    if unknown.notna().any():
        names = ", ".join(repr(v) for v in sorted(unknown.dropna().unique())[:5])
        some, have, they = _tasks_words(int(unknown.notna().sum()))
        warnings.append(
            f"activities: {some} {have} a Status that says neither done nor open ({names}) and no "
            f"IsClosed flag tells: {they} as sales work; export Task.IsClosed with the tasks "
            "to tell"
        )
    return pd.Series(not_done | (~known & by_flag), index=tasks.index)


# ----------------------------------------------------------------------------- writing
_B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


class _Ids:
    """Deterministic, collision-free Salesforce ids for canonical ids; records the id map."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.rows: list[tuple[str, str, str]] = []
        self.known: dict[tuple[str, str], str] = {}

    def make(self, prefix: str, key: str, table: str, hint: object = None) -> str:
        """The id of `key`; `hint` (or the key itself) is kept if it is already one of `prefix`."""
        return self.many(prefix, [key], table, {key: hint})[key]

    def many(
        self, prefix: str, keys, table: str, hints: dict[str, object] | None = None
    ) -> dict[str, str]:
        """Ids for many keys at once (hashing vectorised); the same key always gets the same id."""
        keys = sorted({k for k in keys if isinstance(k, str)})
        hints = hints or {}
        todo = [k for k in keys if (table, k) not in self.known]
        pattern = re.compile(prefix + r"[A-Za-z0-9]{12}(?:[A-Za-z0-9]{3})?")
        given = {}
        for k in todo:
            hint = hints.get(k)
            found = next(
                (v for v in (hint, k) if isinstance(v, str) and pattern.fullmatch(v)), None
            )
            if found is not None:
                given[k] = found
        fresh = [k for k in todo if k not in given]
        candidates = dict(
            zip(given, _id18(np.array(list(given.values()), dtype=object)), strict=True)
        )
        candidates.update(zip(fresh, self._hashed(prefix, fresh, 0), strict=True))
        for k in todo:
            sf, salt = candidates[k], 0
            while sf in self.used:  # a collision (or an id given twice): rehash
                salt += 1
                sf = self._hashed(prefix, [k], salt)[0]
            self.used.add(sf)
            self.known[(table, k)] = sf
            self.rows.append((table, k, sf))
        return {k: self.known[(table, k)] for k in keys}

    @staticmethod
    def _hashed(prefix: str, keys: list[str], salt: int) -> np.ndarray:
        """`prefix` + `5g00` + 8 base-62 characters of the key's SHA-256, as an 18-char id."""
        if not keys:
            return np.array([], dtype=object)
        digests = b"".join(
            hashlib.sha256(f"{prefix}|{k}|{salt}".encode()).digest()[:8] for k in keys
        )
        n = np.frombuffer(digests, dtype=">u8").astype(np.uint64)
        alphabet = np.array(list(_B62))
        digits = []
        for _ in range(8):
            digits.append(alphabet[(n % 62).astype(np.int64)])
            n = n // 62
        bodies = ["".join(chars) for chars in zip(*digits, strict=True)]
        return _id18(np.array([f"{prefix}5g00{b}" for b in bodies], dtype=object))


def _dt_text(values: pd.Series) -> pd.Series:
    """Timestamps as the API writes them: `2024-01-22T20:36:47.000+0000`."""
    v = pd.to_datetime(values, utc=True)
    text = v.dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3] + "+0000"
    return text.where(v.notna(), "")


def _date_text(values: pd.Series) -> pd.Series:
    v = pd.to_datetime(values, utc=True)
    return v.dt.strftime("%Y-%m-%d").where(v.notna(), "")


def _event_times(held: pd.Series) -> dict[str, pd.Series]:
    """The time columns of Events held at `held`: a 30-minute meeting from that moment, or, on
    a calendar date (`periods.is_date_only`), an all-day event as Salesforce writes one
    (`IsAllDayEvent`, the date in `ActivityDate`, no `ActivityDateTime`, `StartDateTime`
    00:00 GMT of the day): the loader reads that date back (`_event_moments`), and a date is
    not written as a meeting at midnight UTC, the evening before west of UTC."""
    all_day = pd.Series(
        periods.is_date_only(held.to_numpy("datetime64[ns]").view("int64")), index=held.index
    )
    start, day = _dt_text(held), _date_text(held)
    return {
        "ActivityDateTime": start.mask(all_day, ""),
        "ActivityDate": day,
        "StartDateTime": start,
        "EndDateTime": _dt_text(held + pd.Timedelta(minutes=30)).mask(
            all_day, day + "T23:59:00.000+0000"
        ),
        "DurationInMinutes": pd.Series("30", index=held.index).mask(all_day, "1440"),
        "IsAllDayEvent": _flag(all_day),
    }


def _num_text(values: pd.Series) -> pd.Series:
    return values.map(lambda x: "" if pd.isna(x) else repr(float(x)))


def _int_text(values: pd.Series) -> pd.Series:
    return values.map(lambda x: "" if pd.isna(x) else str(int(x)))


def _flag(values: pd.Series) -> pd.Series:
    return values.astype("boolean").map({True: "1", False: "0"}).astype("string").fillna("")


def _text(values: pd.Series) -> pd.Series:
    return values.astype("string").fillna("")


def _opportunity_type(deals: pd.DataFrame) -> pd.Series:
    """Opportunity.Type, of Salesforce's default picklist: `New Customer` for an account's
    first opportunity (the earliest created; one of no account too), `Existing Customer -
    Upgrade` for its later ones. The kind of deal, not its pipeline (`RecordType.Name`)."""
    first = deals.sort_values("created_at", kind="stable").drop_duplicates("account_id")
    first_deal = deals["account_id"].map(first.set_index("account_id")["deal_id"])
    new = deals["account_id"].isna() | first_deal.eq(deals["deal_id"]).fillna(False)
    return pd.Series("Existing Customer - Upgrade", index=deals.index).mask(new, "New Customer")


def _write(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_csv(
        path, index=False, encoding="utf-8-sig", quoting=csv.QUOTE_ALL, lineterminator="\n"
    )
    return path


def _lead_history(leads: pd.DataFrame, lead_id: pd.Series, ids: _Ids) -> pd.DataFrame:
    """LeadHistory rows of the Leads written (`leads`, their ids `lead_id`): each one's
    creation (`created`), and a Status change at its MQL date (to `Marketing Qualified`) and
    at its SQL date (to `Closed - Converted`), in time order."""
    mql = leads["became_mql_at"].notna()
    changes = [
        ("created", leads["created_at"], "", ""),
        ("Status", leads["became_mql_at"], "Open - Not Contacted", "Marketing Qualified"),
        (
            "Status",
            leads["became_sql_at"],
            pd.Series("Open - Not Contacted", index=leads.index).mask(mql, "Marketing Qualified"),
            "Closed - Converted",
        ),
    ]
    rows = pd.concat(
        [
            pd.DataFrame(
                {"LeadId": lead_id, "when": when, "Field": field, "OldValue": old, "NewValue": new}
            ).assign(order=k)
            for k, (field, when, old, new) in enumerate(changes)
        ]
    )
    rows = rows[rows["when"].notna() & rows["LeadId"].ne("")]
    rows = rows.sort_values(["when", "LeadId", "order"], kind="stable")
    keys = rows["LeadId"] + "|" + rows["order"].astype(str)
    history_ids = ids.many("017", keys, "lead_history")  # 017: field history records
    return pd.DataFrame(
        {
            "Id": keys.map(history_ids),
            "IsDeleted": "0",
            "LeadId": rows["LeadId"],
            "CreatedDate": _dt_text(rows["when"]),
            "Field": rows["Field"],
            "OldValue": rows["OldValue"],
            "NewValue": rows["NewValue"],
        }
    )


def _names(contacts: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """First and last names: from extra columns when the CRM has them, else from the e-mail."""
    for first_col, last_col in (("first_name", "last_name"), ("FirstName", "LastName")):
        if first_col in contacts.columns and last_col in contacts.columns:
            last = _text(contacts[last_col])
            return _text(contacts[first_col]), last.where(last != "", "Unknown")
    local = contacts["email"].astype("string").str.split("@").str[0].fillna("")
    parts = local.str.split(r"[._-]+", n=1, regex=True)
    first = parts.str[0].fillna("").str.title()
    last = parts.str[1].fillna("").str.replace(r"[._-]+", " ", regex=True).str.title()
    has_last = last != ""
    numbered = pd.Series(
        [f"Contact {i}" for i in range(1, len(contacts) + 1)], index=contacts.index
    )
    single = first.where(first != "", numbered)  # `bo@...`: the one name is the last name
    return first.where(has_last, ""), last.where(has_last, single)


def _sf(mapping: dict[str, str], values: pd.Series) -> pd.Series:
    """The Salesforce ids of canonical ids (`""` for one without)."""
    return values.map(mapping).astype("string").fillna("")


def _lead_status(contacts: pd.DataFrame, converted: pd.Series, contacted: pd.Series) -> pd.Series:
    """Lead.Status at the export, consistent with the stage dates and the Tasks/Events written.

    `Closed - Converted` (converted), `Closed - Not Converted` (stage other), `Qualified` (a later
    stage than mql without an SQL date), `MQL` (stage mql without an MQL date), else `Working -
    Contacted` when sales logged a Task or Event for the person and `Open - Not Contacted` when
    none. The loader reads the first four as the stage they name and the last two as lead.
    """
    stage_now = contacts["lifecycle_stage"].astype("string")
    status = pd.Series("Open - Not Contacted", index=contacts.index)
    status = status.mask(contacted, "Working - Contacted")
    status = status.mask((stage_now == "mql") & contacts["became_mql_at"].isna(), "MQL")
    status = status.mask(
        stage_now.isin(["sql", "opportunity", "customer", "evangelist"]), "Qualified"
    )
    status = status.mask(stage_now == "other", "Closed - Not Converted")
    return status.mask(converted, "Closed - Converted")


def _touch_keys(touches: pd.DataFrame) -> pd.Series:
    """Each touch's canonical id (`touch-<row>` for a touch without one)."""
    numbered = pd.Series(
        [f"touch-{i}" for i in range(len(touches))], index=touches.index, dtype="string"
    )
    return touches["touchpoint_id"].astype("string").fillna(numbered)


def _campaign_keys(touches: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    """The Campaign name and key (name|channel) of each touch; one campaign per key.

    A touch without a campaign goes to its channel's `<Campaign.Type> (no campaign)`.
    """
    channel = touches["channel"].astype("string")
    per_channel = channel.map(
        {c: f"{kind} (no campaign)" for c, kind in CHANNEL_CAMPAIGN_TYPE.items()}
    ).fillna("Other (no campaign)")
    name = touches["campaign"].astype("string").fillna(per_channel.astype("string"))
    return name, name + "|" + channel.fillna("other")


@checked_tables
def member_keys(touchpoints: pd.DataFrame) -> pd.Series:
    """The canonical id of the CampaignMember `write_salesforce` writes each touch as.

    Salesforce holds one member per (campaign, person), so the touches of one person in one
    campaign (`_campaign_keys`) share a member, whose id is that of their earliest touch (by
    ``occurred_at``, then id). A row repeating an earlier row's ``touchpoint_id`` (a duplicate)
    gets the member of the first such row. Aligned on the rows of `touchpoints`.
    """
    return _member_keys(touchpoints, _touch_keys(touchpoints), _campaign_keys(touchpoints)[1])


def _member_keys(touches: pd.DataFrame, keys: pd.Series, campaign: pd.Series) -> pd.Series:
    """`member_keys`, given the touches' keys and campaign keys."""
    firsts = ~keys.duplicated().to_numpy()
    frame = pd.DataFrame(
        {
            "key": keys,
            "campaign": campaign,
            "who": touches["contact_id"].astype("string"),
            "at": touches["occurred_at"],
        }
    )[firsts].sort_values(["at", "key"], kind="stable")
    first = frame.groupby(["campaign", "who"], dropna=False, sort=False)["key"].transform("first")
    return keys.map(pd.Series(first.to_numpy(), index=frame["key"].to_numpy()))


def _members(touches: pd.DataFrame, campaign: pd.Series, record_created: pd.Series) -> pd.DataFrame:
    """One row per CampaignMember (its first touch's row), then a copy per duplicate touch row.

    ``member`` is the member's key, ``campaign_key`` its campaign and ``created`` its
    CreatedDate (`_member_moments`: never before the Lead / Contact it points at).
    """
    keys = _touch_keys(touches)
    member = _member_keys(touches, keys, campaign)
    t = touches.assign(campaign_key=campaign, key=keys, member=member)
    duplicate = keys.duplicated().to_numpy()
    firsts = t[~duplicate & (keys == member).to_numpy()]
    copies = firsts.set_index("key", drop=False).loc[member[duplicate]]
    rows = pd.concat([firsts, copies], ignore_index=True)  # a re-exported row stays one
    record = rows["contact_id"].map(record_created)
    return rows.assign(created=_member_moments(rows["occurred_at"], rows["contact_id"], record))


def _member_moments(at: pd.Series, who: pd.Series, record: pd.Series) -> pd.Series:
    """When members were created: at their first touch (`at`), but the person's (`who`) k-th
    member (k = 0, 1, ... in the order of `at`; members whose touches tied share a k) no
    earlier than its record's CreatedDate (`record`) + k seconds.

    A member cannot exist before its Lead / Contact: a sync adds the touches made before the
    record existed one after another when it is created, in the order they happened, and a
    later touch stays after them. So a person's members keep the order of their touches.
    """
    k = at.groupby(who.astype("string")).rank(method="dense") - 1  # NaN: no time or person
    floor = record + pd.to_timedelta(k, unit="s")
    return at.mask((floor > at).fillna(False).astype(bool), floor)


def _campaign_rows(
    touches: pd.DataFrame, name: pd.Series, campaign: pd.Series, campaign_ids: dict[str, str]
) -> pd.DataFrame:
    """Campaign.csv: one per campaign key (`_campaign_keys`), from its first touch to its last."""
    camps = (
        touches.assign(_name=name, _key=campaign)
        .groupby("_key", sort=True)
        .agg(
            name=("_name", "first"),
            channel=("channel", "first"),
            start=("occurred_at", "min"),
            end=("occurred_at", "max"),
        )
    )
    return pd.DataFrame(
        {
            "Id": [campaign_ids[k] for k in camps.index],
            "IsDeleted": "0",
            "Name": camps["name"].to_numpy(),
            "Type": camps["channel"].map(CHANNEL_CAMPAIGN_TYPE).fillna("Other").to_numpy(),
            "Status": "Completed",
            "StartDate": _date_text(camps["start"]).to_numpy(),
            "EndDate": _date_text(camps["end"]).to_numpy(),
            "IsActive": "0",
            "CreatedDate": _dt_text(camps["start"] - pd.Timedelta(days=7)).to_numpy(),
        }
    )


def _write_campaigns(
    touches: pd.DataFrame,
    ids: _Ids,
    people: tuple[dict[str, str], dict[str, str]],
    record_created: pd.Series,
    out: Path,
) -> list[Path]:
    """Campaign.csv and CampaignMember.csv: one member per campaign and person (`_members`).

    `people` are the Lead and Contact ids by canonical contact id; `record_created` is the
    CreatedDate of each person's Lead (or, for a Contact created by sales, of its Contact).
    """
    lead_ids, contact_sf = people
    name, campaign = _campaign_keys(touches)
    campaign_ids = ids.many("701", campaign, "campaigns")
    campaigns = _campaign_rows(touches, name, campaign, campaign_ids)
    m = _members(touches, campaign, record_created)
    member_ids = ids.many("00v", m["member"], "touchpoints")
    members = pd.DataFrame(
        {
            # the fields a Data Loader extract of members selects (no IsDeleted or
            # LeadOrContactId: they repeat what the other columns say)
            "Id": _sf(member_ids, m["member"]),
            "CampaignId": _sf(campaign_ids, m["campaign_key"]),
            "LeadId": _sf(lead_ids, m["contact_id"]),
            "ContactId": _sf(contact_sf, m["contact_id"]),
            "Status": m["touch_type"].map(_TOUCH_MEMBER_STATUS).fillna("Responded"),
            "HasResponded": "1",
            "CreatedDate": _dt_text(m["created"]),
            "FirstRespondedDate": _date_text(m["created"]),
        }
    )
    return [
        _write(campaigns, out / "Campaign.csv"),
        _write(members, out / "CampaignMember.csv"),
    ]


@checked_tables
def write_salesforce(crm: CRM, out_dir: str | Path, *, lead_history: bool = False) -> list[Path]:
    """Write a CRM as a Data Loader-style Salesforce export (the inverse of `load_salesforce`).

    One CSV per object with API names, ISO `...000+0000` datetimes, `1`/`0` booleans, a UTF-8
    BOM and 18-character ids with the object's prefix (`00Q` leads, `003` contacts, `001`
    accounts, `006` opportunities, `701` campaigns, `00v` campaign members, `00T` tasks, `00U`
    events, `005` users). Ids are derived deterministically from the canonical ids (an id that
    already is a Salesforce id of the right object is kept); `id_map.csv` (table,
    canonical_id, salesforce_id) records them so a round trip can be checked.

    Contacts with an SQL date become converted Leads plus Contacts; contacts with a deal or an
    opportunity/customer date but no SQL date become Contacts created directly by sales (no
    Lead); the rest stay Leads, with the account's name as Company so lead-to-account matching
    finds it again. A Lead's Status agrees with its stage and its activities (`_lead_status`):
    `Closed - Converted`, `Closed - Not Converted` (stage other), `Qualified` / `MQL` (a stage
    without its date), else `Working - Contacted` when a Task or Event is written for the
    person and `Open - Not Contacted` when none is. Stage dates go to `MQL_Date__c` /
    `SQL_Date__c`; opportunity and customer dates are carried by the opportunities. A deal's
    pipeline is its opportunity's `RecordType.Name`; its `Type` is `New Customer` for its
    account's first opportunity and `Existing Customer - Upgrade` for the later ones
    (`_opportunity_type`).

    Touchpoints become responded CampaignMembers of a campaign per (campaign, channel), one
    member per campaign and person, as Salesforce allows (`member_keys`; a converted Lead's
    member names both its Lead and its Contact): its id maps to the earliest touch's id, its
    Status names that touch's type. Its CreatedDate is that touch's moment and its
    FirstRespondedDate the CreatedDate's date (so the loader reads the CreatedDate back), but
    a member is a junction record whose LeadId / ContactId must exist, and FirstRespondedDate
    is set by Salesforce, not before the member: the person's k-th member (k = 0, 1, ... in
    the order of their touches; members of touches at the same moment share k) is created no
    earlier than the Lead (or, for a Contact created by sales, the Contact) + k seconds
    (`_member_moments`). So the touches before the record existed (an anonymous visit, an ad
    click marketing automation knew of) are dated from the record's creation on, a second
    apart in the order they happened, as a marketing-automation sync adds them, and a touch
    within seconds after the creation moves after them: a person's members keep the order
    of their touches, and the first touch stays first.

    Not representable, so lost in a round trip: subscriber and evangelist dates, a
    ``became_lead_at`` other than ``created_at``, the time of day of ``closed_at`` (CloseDate is
    a date), the raw source detail when it does not map to the contact's channel, a person's
    later touches in a campaign they already responded to (only the first is a member), and the
    moment of a touch before its person's record was created (it loads at the creation, plus
    a second per earlier member of the person; a touch seconds after the creation may move by
    as many seconds).
    A CRM row that repeats a touchpoint id (a re-export) is written as a repeated member row.
    A meeting on a calendar date (``occurred_at`` 00:00 UTC, `periods.is_date_only`) is an
    all-day Event (`IsAllDayEvent`, its date in `ActivityDate`; `_event_times`), any other a
    30-minute one.

    With ``lead_history=True`` the stage dates are written as an org without the custom fields
    holds them: no `MQL_Date__c` / `SQL_Date__c` columns, and a `LeadHistory.csv` whose rows
    (`017` ids) say when each Lead was created and entered the Status `Marketing Qualified`
    (its MQL date) and `Closed - Converted` (its SQL date: the conversion). A Contact created
    directly by sales has no Lead, so no history: its MQL date is lost.
    """
    custom_dates = ["MQL_Date__c", "SQL_Date__c"] if lead_history else []
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    ids = _Ids()
    contacts, accounts, deals = crm.contacts, crm.accounts, crm.deals
    touches, acts = crm.touchpoints, crm.activities

    account_ids = ids.many(
        "001",
        list(accounts["account_id"]) + list(contacts["account_id"]) + list(deals["account_id"]),
        "accounts",
    )
    owners = ids.many(
        "005",
        list(contacts["owner_id"]) + list(deals["owner_id"]) + list(acts["owner_id"]),
        "users",
    )
    deal_ids = ids.many("006", deals["deal_id"], "deals")
    account_name = dict(
        zip(accounts["account_id"], accounts["name"].astype("string").fillna(""), strict=True)
    )

    # converted Lead + Contact: an SQL date; Contact only (created by sales, no Lead): a deal
    # or an opportunity / customer date without an SQL date; Lead only: everyone else
    converted = contacts["became_sql_at"].notna()
    later = contacts["became_opportunity_at"].notna() | contacts["became_customer_at"].notna()
    direct = ~converted & (later | contacts["contact_id"].isin(deals["contact_id"].dropna()))
    is_lead, is_contact = ~direct, converted | direct
    lead_hint = (
        contacts["salesforce_lead_id"]
        if "salesforce_lead_id" in contacts.columns  # a CRM loaded from Salesforce
        else pd.Series(pd.NA, index=contacts.index)
    )
    hints = dict(zip(contacts["contact_id"], lead_hint.astype(object), strict=True))
    lead_ids = {
        **ids.many("00Q", contacts.loc[is_lead & converted, "contact_id"], "leads", hints),
        **ids.many("00Q", contacts.loc[is_lead & ~converted, "contact_id"], "contacts", hints),
    }
    contact_sf = ids.many("003", contacts.loc[is_contact, "contact_id"], "contacts")
    person = {**lead_ids, **contact_sf}

    # first deal of each person, for ConvertedOpportunityId
    ordered = deals.dropna(subset=["contact_id"]).sort_values(["created_at", "deal_id"])
    first_deal = ordered.drop_duplicates("contact_id").set_index("contact_id")["deal_id"]

    written: list[Path] = []
    # ---- Account
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(account_ids, accounts["account_id"]),
                    "IsDeleted": "0",
                    "Name": _text(accounts["name"]),
                    "Type": "Customer - Direct",
                    "BillingCountry": _text(accounts["country"]),
                    "Industry": _text(accounts["industry"]),
                    "AnnualRevenue": _num_text(accounts["annual_revenue"]),
                    "NumberOfEmployees": _int_text(accounts["employees"]),
                    "CreatedDate": _dt_text(accounts["created_at"]),
                }
            ),
            out / "Account.csv",
        )
    )

    # ---- Lead and Contact
    first, last = _names(contacts)
    detail = contacts["original_source_detail"].astype("string")
    detail_ok = translate(detail, LEAD_SOURCE_CHANNEL) == contacts["original_source"]
    lead_source = contacts["original_source"].map(CHANNEL_LEAD_SOURCE).astype("string")
    lead_source = detail.where(detail_ok.fillna(False).astype(bool), lead_source).fillna("")
    # a converted Lead's Contact is created at conversion, a direct Contact when it was created
    contact_created = contacts["became_sql_at"].fillna(contacts["created_at"])
    company = contacts["account_id"].map(account_name).astype("string").replace("", pd.NA)
    company = company.fillna("[not provided]")
    status = _lead_status(contacts, converted, contacts["contact_id"].isin(acts["contact_id"]))
    acc_sf = _sf(account_ids, contacts["account_id"])
    ld = contacts[is_lead]
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(lead_ids, ld["contact_id"]),
                    "IsDeleted": "0",
                    "LastName": last[is_lead],
                    "FirstName": first[is_lead],
                    "Title": _text(ld["job_title"]),
                    "Company": company[is_lead],
                    "Country": _text(ld["country"]),
                    "Email": _text(ld["email"]),
                    "LeadSource": lead_source[is_lead],
                    "Status": status[is_lead],
                    "OwnerId": _sf(owners, ld["owner_id"]),
                    "IsConverted": _flag(converted[is_lead]),
                    "ConvertedDate": _date_text(ld["became_sql_at"]),
                    "ConvertedAccountId": acc_sf[is_lead].where(converted[is_lead], ""),
                    "ConvertedContactId": _sf(contact_sf, ld["contact_id"]),
                    "ConvertedOpportunityId": ld["contact_id"]
                    .map(first_deal)
                    .map(deal_ids)
                    .astype("string")
                    .fillna(""),
                    "CreatedDate": _dt_text(ld["created_at"]),
                    "MQL_Date__c": _dt_text(ld["became_mql_at"]),
                    "SQL_Date__c": _dt_text(ld["became_sql_at"]),
                }
            ).drop(columns=custom_dates),
            out / "Lead.csv",
        )
    )
    ct = contacts[is_contact]
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(contact_sf, ct["contact_id"]),
                    "IsDeleted": "0",
                    "AccountId": acc_sf[is_contact],
                    "LastName": last[is_contact],
                    "FirstName": first[is_contact],
                    "MailingCountry": _text(ct["country"]),
                    "Email": _text(ct["email"]),
                    "Title": _text(ct["job_title"]),
                    "LeadSource": lead_source[is_contact],
                    "OwnerId": _sf(owners, ct["owner_id"]),
                    "CreatedDate": _dt_text(contact_created[is_contact]),
                    # lead field mapping copies the custom stage dates onto the contact
                    "MQL_Date__c": _dt_text(ct["became_mql_at"]),
                    "SQL_Date__c": _dt_text(ct["became_sql_at"]),
                }
            ).drop(columns=custom_dates),
            out / "Contact.csv",
        )
    )
    if lead_history:
        history = _lead_history(ld, _sf(lead_ids, ld["contact_id"]), ids)
        written.append(_write(history, out / "LeadHistory.csv"))

    # ---- Opportunity
    won = deals["is_won"].fillna(False).astype(bool)
    closed = deals["is_closed"].fillna(False).astype(bool) | won
    stage = deals["stage"].astype("string")
    stage = stage.fillna(
        pd.Series("Prospecting", index=deals.index, dtype="string")
        .mask(closed, "Closed Lost")
        .mask(won, "Closed Won")
    )
    expected = deals["created_at"] + pd.Timedelta(days=30)
    deal_name = (
        deals["account_id"]
        .map(lambda a: account_name.get(a, "") if pd.notna(a) else "")
        .replace("", "Opportunity")
    )
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(deal_ids, deals["deal_id"]),
                    "IsDeleted": "0",
                    "AccountId": _sf(account_ids, deals["account_id"]),
                    "ContactId": _sf(person, deals["contact_id"]),
                    "Name": deal_name + " - " + _text(deals["product"]).replace("", "New Business"),
                    "StageName": _text(stage),
                    "Amount": _num_text(deals["amount"]),
                    "Probability": _int_text(
                        pd.Series(20, index=deals.index).mask(closed, 0).mask(won, 100)
                    ),
                    "CloseDate": _date_text(deals["closed_at"].where(closed).fillna(expected)),
                    "Type": _opportunity_type(deals),
                    "IsClosed": _flag(deals["is_closed"].fillna(won)),
                    "IsWon": _flag(deals["is_won"]),
                    "CurrencyIsoCode": _text(deals["currency"]),
                    "OwnerId": _sf(owners, deals["owner_id"]),
                    "CreatedDate": _dt_text(deals["created_at"]),
                    "Product_Line__c": _text(deals["product"]),
                    "Loss_Reason__c": _text(deals["lost_reason"]),
                    # the sales process (the loader's pipeline), a relationship field's column
                    "RecordType.Name": _text(deals["pipeline"]),
                }
            ),
            out / "Opportunity.csv",
        )
    )

    # ---- Campaign and CampaignMember
    record_created = contacts.set_index("contact_id")["created_at"].where(
        is_lead.to_numpy(), contact_created.to_numpy()
    )
    written += _write_campaigns(touches, ids, (lead_ids, contact_sf), record_created, out)

    # ---- Task and Event
    act_keys = (
        acts["activity_id"]
        .astype("string")
        .fillna(
            pd.Series([f"activity-{i}" for i in range(len(acts))], index=acts.index, dtype="string")
        )
    )
    meeting = acts["type"] == "meeting"
    task_ids = ids.many("00T", act_keys[~meeting], "activities")
    event_ids = ids.many("00U", act_keys[meeting], "activities")
    tk = acts[~meeting]
    subtype = tk["type"].map({"call": "Call", "email": "Email"}).fillna("Task")
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(task_ids, act_keys[~meeting]),
                    "WhoId": _sf(person, tk["contact_id"]),
                    "WhatId": _sf(deal_ids, tk["deal_id"]),
                    "Subject": tk["type"]
                    .map({"call": "Call", "email": "Email: Follow-up"})
                    .fillna("Follow up"),
                    "ActivityDate": _date_text(tk["occurred_at"]),
                    "Status": "Completed",
                    "Priority": "Normal",
                    "OwnerId": _sf(owners, tk["owner_id"]),
                    "IsDeleted": "0",
                    "IsClosed": "1",
                    "CreatedDate": _dt_text(tk["occurred_at"]),
                    "TaskSubtype": subtype,
                    "Type": tk["type"].map({"call": "Call", "email": "Email"}).fillna("Other"),
                }
            ),
            out / "Task.csv",
        )
    )
    ev = acts[meeting]
    written.append(
        _write(
            pd.DataFrame(
                {
                    "Id": _sf(event_ids, act_keys[meeting]),
                    "WhoId": _sf(person, ev["contact_id"]),
                    "WhatId": _sf(deal_ids, ev["deal_id"]),
                    "Subject": "Meeting",
                    **_event_times(ev["occurred_at"]),
                    "OwnerId": _sf(owners, ev["owner_id"]),
                    "IsDeleted": "0",
                    "CreatedDate": _dt_text(ev["occurred_at"]),
                    "Type": "Meeting",
                }
            ),
            out / "Event.csv",
        )
    )

    # ---- spend (canonical columns) and the id map
    if not crm.spend.empty:
        sp = crm.spend
        spend_path = out / "spend.csv"
        pd.DataFrame(
            {
                "month": sp["month"].dt.strftime("%Y-%m"),
                "channel": _text(sp["channel"]),
                "campaign": _text(sp["campaign"]),
                "amount": _num_text(sp["amount"]),
                "currency": _text(sp["currency"]),
            }
        ).to_csv(spend_path, index=False, encoding="utf-8")
        written.append(spend_path)
    id_map = out / "id_map.csv"
    pd.DataFrame(ids.rows, columns=["table", "canonical_id", "salesforce_id"]).to_csv(
        id_map, index=False, encoding="utf-8"
    )
    written.append(id_map)
    return written


__all__ = [
    "CAMPAIGN_TYPES",
    "CHANNEL_CAMPAIGN_TYPE",
    "CHANNEL_LEAD_SOURCE",
    "LEAD_SOURCE_CHANNEL",
    "LEAD_STATUS_STAGE",
    "MEMBER_STATUS_TOUCH",
    "TASK_STATUS_DONE",
    "load_salesforce",
    "salesforce_ids",
    "write_salesforce",
]
