"""Every user-facing string, Persian first, with an English catalogue.

Values are ``str.format`` templates in Telegram HTML. Whatever is filled in from
users or the provider must be escaped by the caller (``bot.render`` does it);
numbers, phone numbers and Latin ids are wrapped in Unicode isolation marks there
so they render left-to-right inside Persian sentences.
"""

from __future__ import annotations

FA: dict[str, str] = {
    # gate
    "stranger": "سلام! این ربات فقط برای مدیران این مجموعه است.\n"
    "شناسهٔ عددی شما: <code>{user_id}</code>\n"
    "اگر باید دسترسی داشته باشید، این شناسه را به مدیر ربات بدهید.",
    "stranger_button": "این ربات فقط برای مدیران است. شناسهٔ شما: {user_id}",
    "group_key_warning": "⚠️ کلید API را در گروه فرستادید. آن را ذخیره نکردم. "
    "همین حالا کلید را در پنل IPPanel باطل کنید و کلید تازه را فقط در گفتگوی خصوصی با ربات بفرستید.",
    "edited_ignored": "ویرایش پیام‌ها در نظر گرفته نمی‌شود؛ لطفاً متن را دوباره بفرستید.",
    "use_buttons": "لطفاً از دکمه‌های پیام بالا استفاده کنید، یا /cancel برای خروج.",
    "outside_hint": "برای ارسال پیامک /send را بزنید؛ راهنما: /help",
    "stale_menu": "این منو قدیمی است. برای ادامه /send یا /drafts را بزنید.",
    "error_generic": "خطایی پیش آمد و کار انجام نشد. پیش‌نویس شما محفوظ است؛ دوباره امتحان کنید.",
    # start / help
    "help": "<b>ربات ارسال پیامک گروهی IPPanel</b>\n"
    "با این ربات یک خط ارسال، چند دفترچهٔ تلفن و متن فارسی را انتخاب می‌کنید؛ "
    "پس از تأیید مدیر دوم، پیامک‌ها از طریق IPPanel ارسال می‌شوند.\n\n"
    "نقش شما: {role}\n"
    "کلید API: {key_state}\n\n"
    "<b>فرمان‌ها</b>\n"
    "/send ارسال تازه\n/drafts پیش‌نویس‌ها\n/history سابقهٔ ارسال‌ها\n"
    "/credit اعتبار حساب\n/texts متن‌های ذخیره‌شده\n/phone شمارهٔ من برای پیامک آزمایشی\n"
    "/token ثبت کلید API\n/logout حذف کلید API\n"
    "/lang زبان\n/cancel خروج از گفتگو (پیش‌نویس می‌ماند)",
    "role_admin": "مدیر (ارسال‌کننده)",
    "role_approver": "تأییدکننده",
    "role_both": "مدیر و تأییدکننده",
    "key_set": "ثبت شده ({hint}، حساب {account})",
    "key_missing": "ثبت نشده — با /token ثبت کنید",
    # commands menu
    "cmd_send": "ارسال پیامک تازه",
    "cmd_drafts": "پیش‌نویس‌ها",
    "cmd_history": "سابقهٔ ارسال‌ها",
    "cmd_credit": "اعتبار حساب",
    "cmd_token": "ثبت کلید API",
    "cmd_logout": "حذف کلید API",
    "cmd_lang": "تغییر زبان",
    "cmd_help": "راهنما",
    "cmd_cancel": "خروج از گفتگو",
    # token
    "token_ask": "کلید API پنل IPPanel را بفرستید (پنل کاربری ← توسعه‌دهندگان ← کلیدهای دسترسی).\n"
    "پیام حاوی کلید را بلافاصله پاک می‌کنم. برای انصراف /cancel.",
    "token_saved": "✅ کلید ثبت شد.\nحساب: <b>{account}</b>\nکلید: {hint}\n{block}",
    "token_send_blocked": "⚠️ ارسال پیامک برای این حساب مسدود است؛ تا رفع آن ارسال ممکن نیست.",
    "token_send_ok": "ارسال برای این حساب آزاد است. برای شروع /send را بزنید.",
    "token_rejected": "❌ این کلید پذیرفته نشد: {reason}\nکلید ذخیره نشد. کلید را از پنل بررسی و دوباره /token را بزنید.",
    "token_unreachable": "❌ اکنون به IPPanel دسترسی ندارم ({reason}). کلید ذخیره نشد؛ کمی بعد دوباره /token را بزنید.",
    "token_not_text": "فقط متن کلید را بفرستید. برای انصراف /cancel.",
    "token_forwarded": "پیام بازارسال‌شده را به‌عنوان کلید نمی‌پذیرم. کلید را خودتان کپی و ارسال کنید.",
    "token_not_deleted": "⚠️ نتوانستم پیام حاوی کلید را پاک کنم؛ لطفاً خودتان آن را پاک کنید.",
    "logout_done": "کلید API شما حذف شد.",
    "logout_none": "کلیدی ثبت نشده بود.",
    "need_key": "ابتدا کلید API خود را با /token ثبت کنید.",
    "key_broken": "کلید ذخیره‌شده قابل استفاده نیست. لطفاً با /token دوباره ثبت کنید.",
    "key_expired": "کلید API شما نامعتبر یا منقضی است. با /token کلید تازه ثبت کنید. پیش‌نویس محفوظ است.",
    # provider problems during the conversation
    "provider_error": "⚠️ {reason}.{detail}\nپیش‌نویس محفوظ است؛ کمی بعد دوباره امتحان کنید.",
    "provider_timeout": "IPPanel پاسخ نداد. پیش‌نویس محفوظ است؛ کمی بعد دوباره امتحان کنید.",
    "provider_invalid": "⚠️ {reason}.{detail}",
    # compose: sender
    "sender_title": "<b>۱. خط ارسال</b>\nخطی را که پیامک از آن فرستاده می‌شود انتخاب کنید:",
    "sender_only_one": "خط ارسال: {sender} (تنها خط حساب شما)",
    "sender_none": "در حساب IPPanel شما خط ارسالی پیدا نشد. پس از افزودن خط در پنل، دوباره /send را بزنید.",
    "same_as_last": "🔁 مثل دفعهٔ قبل",
    "resume_offer": "یک پیش‌نویس نیمه‌کاره دارید ({summary}). ادامه می‌دهید یا پیش‌نویس تازه؟",
    "btn_resume": "▶️ ادامهٔ پیش‌نویس",
    "btn_new_draft": "🆕 پیش‌نویس تازه",
    # compose: phonebooks
    "books_title": "<b>۲. دفترچه‌های تلفن</b>\nروی دفترچه‌ها بزنید تا انتخاب شوند (✓). "
    "برای جستجو، بخشی از نام دفترچه را بنویسید.",
    "books_filter": "جستجو: «{filter}»",
    "books_none": "دفترچه‌ای پیدا نشد.",
    "books_total": "انتخاب‌شده: {books}، {recipients}",
    "books_need_one": "دست‌کم یک دفترچه با مخاطب انتخاب کنید.",
    "book_empty": "دفترچهٔ «{title}» خالی است (۰ مخاطب) و انتخاب نشد. اگر تازه مخاطب افزوده‌اید، "
    "کمی بعد دوباره امتحان کنید.",
    "books_page": "صفحهٔ {page} از {pages}",
    "btn_clear_filter": "✖️ حذف جستجو",
    "btn_books_done": "ادامه: متن پیام ◀️",
    "btn_books_options": "⚙️ بازه یا مخاطبان دلخواه",
    "options_title": "<b>دفترچه‌های انتخاب‌شده</b>\nبرای هر دفترچه می‌توانید کل آن، یک بازه، یا مخاطبان دلخواه را بفرستید. "
    "برای تغییر، روی نام دفترچه بزنید.",
    "mode_all": "کل دفترچه",
    "mode_slice": "ردیف {start} تا {end}",
    "book_options": "<b>{title}</b> ({count})\nچه کسانی از این دفترچه پیام بگیرند؟",
    "btn_whole": "کل دفترچه",
    "btn_slice": "یک بازه از ردیف‌ها",
    "btn_pick": "انتخاب مخاطبان",
    "btn_remove": "🗑 حذف از انتخاب",
    "btn_to_text": "ادامه: متن پیام ◀️",
    "slice_ask": "ردیف اول و آخر را بنویسید، مثلاً <code>101-200</code> یا <code>۱۰۱ تا ۲۰۰</code> "
    "یعنی ردیف ۱۰۱ تا ۲۰۰ (۱۰۰ مخاطب). یک عدد تنها، مثلاً <code>500</code>، یعنی ۵۰۰ ردیف اول.\n"
    "این دفترچه {count} دارد.",
    "slice_format": "این بازه را نفهمیدم. ردیف اول و آخر را بنویسید، مثلاً <code>101-200</code> "
    "(ردیف‌ها از ۱ تا {count}).",
    "slice_order": "ردیف آخر نباید پیش از ردیف اول باشد. مثلاً <code>101-200</code> بنویسید.",
    "slice_past_end": "این دفترچه فقط {count} دارد؛ بازه باید در همین محدوده باشد، "
    "مثلاً <code>1-{last}</code>.",
    "contacts_title": "<b>مخاطبان {title}</b>\nروی مخاطبان بزنید تا انتخاب شوند (✓). برای جستجو شمارهٔ کامل را بنویسید (مانند ۰۹۱۲۱۲۳۴۵۶۷).\n"
    "انتخاب‌شده: {n}",
    "contacts_none": "مخاطبی پیدا نشد.",
    "btn_contacts_done": "تأیید انتخاب ✅",
    "contacts_empty_reverted": "مخاطبی انتخاب نشد؛ کل دفترچه در نظر گرفته شد.",
    # compose: text
    "text_ask": "<b>۳. متن پیام</b>\n{reused}متن پیامک را بنویسید.{suffix_note}",
    "text_reused": "از خط {sender} به {books}\n",
    "text_suffix_note": "\nاین سطر به انتهای پیام افزوده می‌شود: {suffix}",
    "text_preview": "<b>پیش‌نمایش پیامک</b>\n<pre>{message}</pre>\n"
    "نویسه: {chars} · بخش: {parts} ({encoding})\n{price}",
    "text_price": "هزینهٔ هر گیرنده: {per} ریال · برای {recipients}: حدود {total} ریال\nاعتبار حساب: {credit} ریال",
    "price_pending": "در حال برآورد هزینه و اعتبار…",
    "text_price_unknown": "برآورد هزینه اکنون ممکن نشد ({reason}).",
    "credit_short": "⚠️ اعتبار حساب برای این ارسال کافی نیست.",
    "text_empty": "متن خالی است. متن پیامک را بنویسید.",
    "text_too_long": "متن طولانی است: {chars}{suffix}. حداکثر {limit} نویسه مجاز است ({rule})؛ "
    "دست‌کم {over} نویسه کوتاه‌ترش کنید.",
    "text_suffix_counted": " به‌اضافهٔ {n} برای پسوند ثابت",
    "text_limit_ucs2": "متن فارسی: ۲۰ بخش × ۶۷ نویسه",
    "text_limit_gsm7": "متن لاتین: ۱۴۰۰ نویسه",
    "text_not_text": "در این مرحله فقط متن پذیرفته می‌شود (نه عکس، استیکر، صدا یا فایل). متن پیامک را بنویسید.",
    "btn_text_ok": "⏱ زمان ارسال دیگر",
    "btn_text_now": "زمان: همین حالا ◀️",
    "btn_back_to_review": "بازگشت به بازبینی ◀️",
    "text_replace_note": "✏️ برای تغییر، متن تازه را بنویسید؛ جای این متن را می‌گیرد.",
    # compose: time
    "time_ask": "<b>۴. زمان ارسال</b>\nیکی را انتخاب کنید یا تاریخ و ساعت شمسی را بنویسید، "
    "مثلاً <code>{example}</code> (به وقت {tz}).",
    "btn_now": "همین حالا",
    "btn_hour": "یک ساعت دیگر",
    "btn_tonight": "امشب ساعت ۲۰",
    "btn_tomorrow": "فردا ساعت ۹",
    "time_format": "این تاریخ را نفهمیدم. مثل این بنویسید: <code>{example}</code>",
    "time_invalid_date": "این تاریخ در تقویم شمسی وجود ندارد. مثل این بنویسید: <code>{example}</code>",
    "time_too_soon": "زمان ارسال باید دست‌کم ۱۰ دقیقه بعد از اکنون باشد. مثلاً: <code>{example}</code>",
    "time_too_far": "زمان ارسال بیش از یک سال دیگر است؛ سال را درست بنویسید، مثلاً: <code>{example}</code>",
    "time_invalid_time": "ساعت درست نیست: ساعت از ۰ تا ۲۳ و دقیقه از ۰ تا ۵۹. مثلاً: <code>{example}</code>",
    "time_not_text": "تاریخ و ساعت را به‌صورت متن بنویسید یا یکی از دکمه‌ها را بزنید.",
    "time_now": "همین حالا (پس از تأیید)",
    "tz_tehran": "تهران",
    # review
    "review": "{head}"
    "خط ارسال: {sender}\n"
    "دفترچه‌ها:\n{books}\n"
    "مجموع گیرندگان: <b>{recipients}</b>\n"
    "زمان: {when}\n"
    "نویسه: {chars} · بخش: {parts}\n"
    "{cost}"
    "متن دقیق پیامک:\n<pre>{message}</pre>",
    "review_cost": "هزینهٔ تخمینی: {total} ریال · اعتبار: {credit} ریال\n",
    "btn_submit": "✅ ارسال برای تأیید",
    "btn_send_now": "✅ ارسال",
    "btn_edit_sender": "✏️ خط",
    "btn_edit_books": "✏️ دفترچه‌ها",
    "btn_edit_text": "✏️ متن",
    "btn_edit_time": "✏️ زمان",
    "btn_save_leave": "💾 ذخیره و خروج",
    "btn_discard": "🗑 دور ریختن",
    "btn_back": "↩️ بازگشت",
    "btn_prev": "▶️ قبلی",
    "btn_next": "بعدی ◀️",
    "saved_left": "پیش‌نویس ذخیره شد. با /drafts می‌توانید ادامه دهید.",
    "discarded": "پیش‌نویس دور ریخته شد.",
    "cancelled": "از گفتگو خارج شدید. پیش‌نویس ذخیره شد؛ با /drafts ادامه دهید.",
    "nothing_to_cancel": "گفتگوی فعالی نبود.",
    "draft_incomplete": "پیش‌نویس کامل نیست؛ مرحلهٔ «{step}» را کامل کنید.",
    "step_sender": "خط ارسال",
    "step_phonebooks": "دفترچه‌ها",
    "step_text": "متن",
    "step_time": "زمان",
    "step_review": "بازبینی",
    # drafts
    "drafts_title": "<b>پیش‌نویس‌های شما</b>",
    "drafts_none": "پیش‌نویسی ندارید. با /send شروع کنید.",
    "draft_line": "{n}. {summary} · {updated}",
    "draft_summary_empty": "بدون متن",
    "btn_draft_open": "▶️ {n}",
    "btn_draft_copy": "📄 کپی",
    "btn_draft_delete": "🗑",
    "draft_deleted": "پیش‌نویس «{summary}» حذف شد.",
    "draft_missing": "این پیش‌نویس دیگر وجود ندارد.",
    # approval
    "no_approver": "تأییدکنندهٔ دیگری تعریف نشده است؛ این ارسال نمی‌تواند تأیید شود. "
    "از مدیر ربات بخواهید شناسهٔ مدیر دوم را در APPROVER_IDS بگذارد. پیش‌نویس محفوظ است.",
    "waiting_approval": "⏳ درخواست #{no} برای تأیید فرستاده شد ({n}). تا تأیید، چیزی ارسال نمی‌شود.",
    "approvers_unreachable": "⚠️ درخواست #{no} ثبت شد اما به هیچ تأییدکننده‌ای نرسید "
    "(ربات را مسدود کرده‌اند یا هنوز آن را شروع نکرده‌اند). از آن‌ها بخواهید ربات را باز کنند، "
    "سپس درخواست را پس بگیرید و دوباره بفرستید.",
    "btn_withdraw": "↩️ پس گرفتن درخواست",
    "approval_card": "<b>درخواست ارسال #{no}</b> از {requester}\n{card}\n\nمهلت تأیید تا: {expires}",
    "btn_approve": "✅ تأیید و ارسال",
    "btn_reject": "❌ رد",
    "reject_reason_ask": "دلیل رد درخواست #{no} را بنویسید، یا بدون دلیل رد کنید.",
    "btn_reject_no_reason": "رد بدون دلیل",
    "btn_reject_keep": "انصراف",
    "reject_kept": "درخواست #{no} رد نشد و همچنان در انتظار تأیید است.",
    "decided_approved": "✅ تأیید شد توسط {who} در {when}.",
    "decided_rejected": "❌ رد شد توسط {who} در {when}.{reason}",
    "decided_withdrawn": "↩️ درخواست‌کننده این درخواست را پس گرفت.",
    "decided_expired": "⌛️ مهلت تأیید این درخواست تمام شد.",
    "reason_line": "\nدلیل: {reason}",
    "request_rejected": "❌ درخواست #{no} توسط {who} رد شد.{reason}\nپیش‌نویس محفوظ است؛ با /drafts ویرایش کنید.",
    "request_expired": "⌛️ مهلت تأیید درخواست #{no} تمام شد و چیزی ارسال نشد. پیش‌نویس محفوظ است.",
    "request_withdrawn": "درخواست #{no} پس گرفته شد. پیش‌نویس محفوظ است.",
    "request_settled": "درخواست #{no} برای تأیید فرستاده شده بود؛ اکنون: {state}.",
    "request_invalidated": "پیش‌نویس ویرایش شد و درخواست قبلی #{no} باطل شد؛ پس از بازبینی دوباره ارسال کنید.",
    "decision_not_found": "این درخواست پیدا نشد.",
    "decision_not_allowed": "شما اجازهٔ تأیید ندارید.",
    "decision_self": "درخواست خودتان را نمی‌توانید تأیید یا رد کنید.",
    "decision_already": "این درخواست قبلاً تعیین تکلیف شده است ({state}).",
    "decision_expired": "مهلت این درخواست تمام شده است؛ چیزی تغییر نکرد.",
    "decision_tampered": "محتوای این درخواست با نسخهٔ تأییدشده یکی نیست؛ ارسال انجام نشد.",
    "decision_not_requester": "فقط درخواست‌کننده می‌تواند درخواست را پس بگیرد.",
    "state_pending": "در انتظار",
    "state_approved": "تأییدشده",
    "state_rejected": "ردشده",
    "state_expired": "منقضی",
    "state_withdrawn": "پس‌گرفته",
    "state_sending": "در حال ارسال",
    "state_sent": "ارسال‌شده",
    "state_failed": "ارسال‌نشده",
    "state_unknown": "نامعلوم",
    "state_cancelled": "لغوشده",
    # sending results
    "sending_now": "⏳ در حال ارسال…",
    "sent_ok": "✅ ارسال #{no} انجام شد.\nشناسه‌های ارسال: {outbox}\n{when}",
    "sent_immediate": "ارسال فوری.",
    "send_failed_invalid": "❌ ارسال #{no} انجام نشد: {reason}\n"
    "پیش‌نویس به درخواست‌کننده برگشت؛ مرحلهٔ «{step}» را اصلاح کنید.",
    "send_failed_auth": "❌ ارسال #{no} انجام نشد: کلید API درخواست‌کننده نامعتبر یا منقضی است. "
    "درخواست‌کننده باید با /token کلید تازه ثبت کند و سپس «تلاش دوباره» را بزند.",
    "send_failed_no_key": "❌ ارسال #{no} انجام نشد: درخواست‌کننده کلید API ثبت‌شده ندارد. "
    "پس از ثبت کلید با /token، «تلاش دوباره» را بزنید.",
    "send_failed_network": "❌ ارسال #{no} انجام نشد: به IPPanel وصل نشدم. مطمئنیم هیچ پیامکی نرفته است. "
    "می‌توانید دوباره تلاش کنید؛ تأیید تازه لازم نیست.",
    "send_failed_other": "❌ ارسال #{no} انجام نشد: {reason}",
    "send_unknown": "⚠️ نتیجهٔ ارسال #{no} نامعلوم است: {reason}\n"
    "ممکن است IPPanel آن را پذیرفته باشد. برای جلوگیری از ارسال دوباره، خودکار تکرار نمی‌کنم. "
    "با «بررسی وضعیت» نتیجه را از IPPanel بپرسید.",
    "send_interrupted": "⚠️ ربات هنگام ارسال #{no} قطع شد و نتیجه نامعلوم است. "
    "خودکار تکرار نمی‌کنم؛ با «بررسی وضعیت» نتیجه را بپرسید.",
    "send_not_started": "ارسال آغاز نشد و چیزی فرستاده نشد. پیش‌نویس را بازبینی و دوباره ارسال کنید.",
    "send_duplicate": "این درخواست قبلاً ارسال شده است؛ دوباره فرستاده نمی‌شود.",
    "reconciled_sent": "✅ بررسی شد: ارسال #{no} انجام شده است. شناسه‌ها: {outbox}",
    "reconciled_not_sent": "بررسی شد: ارسال #{no} انجام نشده است. در صورت نیاز «تلاش دوباره» را بزنید.",
    "reconciled_unknown": "هنوز نمی‌توان گفت ارسال #{no} انجام شده یا نه. کمی بعد دوباره بررسی کنید.",
    "unknown_given_up": "⚠️ نتیجهٔ ارسال #{no} پس از {days} روز هنوز نامعلوم است. ربات دیگر خودش از IPPanel "
    "نمی‌پرسد؛ این ارسال نامعلوم می‌ماند و هرگز خودکار تکرار نمی‌شود. لطفاً خودتان بررسی کنید.",
    "retry_refused": "فقط ارسالی که مطمئناً انجام نشده قابل تکرار است.",
    "btn_report": "📊 گزارش تحویل",
    "btn_cancel_send": "⛔️ لغو ارسال زمان‌بندی‌شده",
    "btn_again": "🔁 ارسال دوباره",
    "btn_retry": "🔄 تلاش دوباره",
    "btn_check": "🔎 بررسی وضعیت",
    "btn_fix": "✏️ اصلاح پیش‌نویس",
    "report": "<b>گزارش ارسال #{no}</b>\n{state}\n{table}",
    "report_unavailable": "گزارش اکنون در دسترس نیست: {reason}",
    "cancel_ok": "⛔️ ارسال #{no} لغو شد و فرستاده نمی‌شود.",
    "cancel_refused": "لغو ممکن نیست: {reason}",
    "cancel_too_late": "کمتر از ۵ دقیقه به زمان ارسال #{no} مانده است؛ IPPanel دیگر لغو را نمی‌پذیرد.",
    "again_ready": "پیش‌نویس تازه‌ای از روی ارسال #{no} ساخته شد؛ به تأیید جداگانه نیاز دارد.",
    "not_yours": "این مورد به شما مربوط نیست.",
    # history / credit / lang
    "history_title": "<b>سابقهٔ ارسال‌ها</b> (صفحهٔ {page})",
    "history_none": "هنوز ارسالی ثبت نشده است.",
    "history_item": "#{no} · {state} · زمان ارسال: {when}\nدرخواست: {requester} · تأیید: {approver}\n"
    "گیرندگان: {recipients} · شناسه‌ها: {outbox}",
    "history_decided": "<b>درخواست‌هایی که شما تعیین تکلیف کردید</b>",
    "history_pending": "<b>در انتظار تأیید</b>",
    "history_pending_more": "… و {n} درخواست دیگر در انتظار تأیید",
    "history_pending_item": "#{no} · تأییدها: {got} از {needed} · زمان ارسال: {when}\nدرخواست: {requester} · گیرندگان: {recipients}",
    "history_decided_item": "#{no} · {state} · {when}",
    "credit": "اعتبار حساب: <b>{credit}</b> ریال{gift}",
    "credit_gift": "\nهدیه: {gift} ریال",
    "lang_ask": "زبان را انتخاب کنید / Choose a language:",
    "lang_set": "زبان: فارسی",
    # money
    "submit_no_key": "درخواست فرستاده نشد: کلید API شما ثبت نشده یا خوانا نیست، پس ارسال فقط شکست می‌خورد. "
    "با /token کلید را ثبت کنید و دوباره «ارسال برای تأیید» را بزنید. پیش‌نویس محفوظ است.",
    "submit_short_credit": "درخواست فرستاده نشد: اعتبار حساب کافی نیست. هزینهٔ تخمینی دست‌کم {cost} ریال، "
    "اعتبار فعلی {credit} ریال؛ کمبود: <b>{missing}</b> ریال. پس از افزایش اعتبار دوباره بفرستید. پیش‌نویس محفوظ است.",
    "card_money": "هزینهٔ تخمینی: {cost} · اعتبار فعلی: {credit}\n",
    "amount_rials": "{n} ریال",
    "card_money_short": "⚠️ ممکن است اعتبار برای این ارسال کافی نباشد.\n",
    "card_money_unknown": "نامعلوم",
    # campaign guardrails (#22): night hours
    "guard_quiet": "🌙 <b>ساعت {at} می‌رسد، در ساعات سکوت شبانه</b> ({window})\n",
    "guard_quiet_now": "🌙 <b>اگر الان فرستاده شود، ساعت {at} می‌رسد، در ساعات سکوت شبانه</b> ({window})\n",
    "guard_quiet_plan": "🌙 <b>{n} نوبت از {total} نوبت در ساعات سکوت شبانه است</b> ({window})\n",
    "guard_quiet_skipped": "🌙 نوبت‌های شب به پایان ساعات سکوت منتقل شده‌اند ({window}).\n",
    "btn_quiet_move": "🌙 ارسال در پایان ساعات سکوت: {at}",
    "btn_quiet_skip": "🌙 رد کردن شب (ادامه در {at})",
    "btn_quiet_keep": "↩️ زمان‌های شبانه را برگردان",
    # campaign guardrails (#22): repeats
    "guard_repeat": "🔁 <b>تکرار: همین متن در #{no} به {n} نفر از همین گیرندگان</b> "
    "({state}، {when}، از {who})\n",
    "guard_repeat_book": "همین دفترچه ارسال #{no} را هم دارد ({when}، {state}، از {who}).\n",
    "guard_state_sent": "ارسال‌شده",
    "guard_state_scheduled": "زمان‌بندی‌شده",
    "guard_state_unknown": "وضعیت نامعلوم",
    "guard_state_pending": "در انتظار تأیید",
    # campaign guardrails (#22): the month's budget
    "guard_budget": "💰 این ماه: {spent} از {budget} میلیون ریال\n",
    "guard_budget_with": "💰 این ماه: {spent} از {budget} میلیون ریال؛ با این درخواست: {after}\n",
    "guard_budget_over": "⚠️ <b>این درخواست از بودجهٔ ماه {over} ریال بیشتر می‌شود</b>؛ "
    "یک تأیید بیشتر از قاعده لازم است.\n",
    "guard_budget_over_hard": "⛔️ <b>این درخواست از بودجهٔ ماه {over} ریال بیشتر می‌شود</b> "
    "و پذیرفته نمی‌شود.\n",
    "rule_budget": "یک تأیید بیشتر برای گذشتن از بودجهٔ ماه",
    "submit_over_budget": "درخواست فرستاده نشد: این ارسال از بودجهٔ ماه {over} ریال بیشتر می‌شود "
    "(این ماه: {spent} از {budget} میلیون ریال). پیش‌نویس محفوظ است.",
    "credit_month_spend": "هزینهٔ این ماه (ارسال‌شده و زمان‌بندی‌شده): {spent} میلیون ریال",
    "credit_month_budget": "هزینهٔ این ماه (ارسال‌شده و زمان‌بندی‌شده): {spent} از {budget} میلیون ریال",
    # campaign guardrails (#22): the follow-up after a send
    "follow_up": "📬 <b>پیگیری ارسال #{no}</b> ({minutes} دقیقه پس از ارسال)\n"
    "{lines}\n"
    "رسیده: {delivered} از {total} ({share}٪) · نرسیده: {failed} · در انتظار: {pending}\n"
    "هزینهٔ کسرشده: {charged} · برآورد هنگام تأیید: {estimate}",
    "follow_up_low": "⚠️ <b>فقط {share}٪ رسیده است؛ بیشترین نرسیده: {operator}</b> ({failed} نرسیده)\n\n",
    "decided_voided": "⛔️ درخواست‌کننده دیگر مدیر نیست؛ این درخواست باطل شد و چیزی ارسال نشد.",
    "decision_requester_removed": "درخواست‌کننده دیگر مدیر نیست؛ درخواست باطل شد و چیزی ارسال نشد.",
    "unknown_howto": "\n\nبرای اطمینان: در پنل IPPanel به «گزارش‌ها ← صندوق ارسال» بروید و پیامی از خط {sender} "
    "با همین متن در حدود {when} بیابید. اگر هست، ارسال انجام شده است؛ دوباره نفرستید.",
    "btn_not_sent": "🗒 در پنل دیدم: ارسال نشده",
    "confirm_not_sent_ask": "<b>تأیید «ارسال نشده» برای #{no}</b>\n"
    "فقط اگر صندوق ارسال پنل IPPanel را دیده‌اید و پیامی از خط {sender} با این متن در حدود {when} در آن نیست، تأیید کنید. "
    "پس از تأیید، «تلاش دوباره» ممکن می‌شود و اگر پیام در واقع رفته باشد، <b>دوباره فرستاده و هزینه می‌شود</b>.\n\n"
    "متن: {text}",
    "btn_confirm_not_sent": "✅ بررسی کردم: ارسال نشده است",
    "btn_keep_unknown": "انصراف",
    "confirm_not_sent_kept": "چیزی تغییر نکرد؛ ارسال #{no} همچنان نامعلوم است.",
    "confirmed_not_sent": "ارسال #{no} به تأیید {who} در {when} «ارسال‌نشده» ثبت شد. اکنون می‌توانید «تلاش دوباره» را بزنید.",
    "confirm_not_sent_refused": "ارسال #{no} دیگر نامعلوم نیست ({state})؛ چیزی تغییر نکرد.",
    "stranded": "⚠️ درخواست #{no} تأیید شده بود اما ارسال آن هرگز آغاز نشد (ربات متوقف شد یا خطای پایگاه داده). "
    "<b>هیچ پیامکی فرستاده نشده است.</b> برای ارسال، دکمهٔ زیر را بزنید.",
    "stranded_voided": "درخواست #{no} تأیید شده بود اما ارسال نشد و درخواست‌کننده دیگر مدیر نیست؛ باطل شد. هیچ پیامکی فرستاده نشده است.",
    "btn_start_stranded": "📤 اکنون ارسال شود",
    "stranded_refused": "این ارسال اکنون ممکن نیست ({reason}).",
    "stranded_too_late": "⚠️ زمان ارسال {ref} گذشته است و چیزی از آن فرستاده نشده؛ "
    "«همین حالا» فرستاده نمی‌شود. برای این گیرندگان درخواستی تازه با زمان تازه بسازید.",
    # ippanel
    "contacts_need_whole_number": "سامانه پیامک فقط با <b>شمارهٔ کامل</b> جست‌وجو می‌کند. "
    "شمارهٔ کامل را بفرستید، مانند ۰۹۱۲۱۲۳۴۵۶۷ یا ‎+989121234567.",
    "cancel_not_cancellable": "IPPanel ارسال #{no} را نیافت یا این ارسال دیگر قابل لغو نیست؛ "
    "چیزی لغو نشد.",
    "credit_ran_out": "⚠️ اعتبار حساب IPPanel تمام شد؛ ارسال #{no} انجام نشد.\n"
    "اعتبار فعلی: {credit} ریال\nهزینهٔ تخمینی این ارسال: {cost} ریال\n"
    "پس از افزایش اعتبار، در صورت نیاز دوباره بفرستید.",
    "credit_ran_out_reason": "اعتبار حساب تمام شده است (اعتبار فعلی: {credit} ریال؛ "
    "هزینهٔ تخمینی این ارسال: {cost} ریال). پس از افزایش اعتبار دوباره بفرستید.",
    # hostile
    "books_summary": "{n}، {recipients} (فهرست با دکمهٔ زیر)",
    "btn_books_list": "📒 فهرست دفترچه‌ها",
    "books_list_title": "<b>دفترچه‌های {ref}</b>",
    "books_list_gone": "این فهرست دیگر در دسترس نیست.",
    "card_text_apart": "متن دقیق پیامک در پیامی است که این کارت به آن پاسخ داده است.",
    "card_text_msg": "<b>متن دقیق پیامک {ref}</b> (کامل، همان‌طور که ارسال می‌شود):\n<pre>{message}</pre>",
    "approver_only": "شما درخواست‌ها را تأیید می‌کنید؛ نوشتن و ارسال پیامک برای مدیران است.",
    "key_refused_here": "این پیام شبیه کلید API بود؛ پاک شد و هیچ‌جا ذخیره نشد. برای ثبت کلید /token را بزنید.",
    "reason_too_long": "دلیل طولانی است (حداکثر {max} نویسه). کوتاه‌تر بنویسید یا بدون دلیل رد کنید.",
    "token_wait_ended": "دیگر منتظر کلید نیستم؛ برای ثبت کلید دوباره /token را بزنید.",
    # team rules
    "cmd_texts": "متن‌های ذخیره‌شده",
    "btn_use_saved": "📚 استفاده از متن ذخیره‌شده",
    "btn_save_text": "📌 ذخیرهٔ این متن",
    "btn_name_cancel": "انصراف",
    "btn_saved_back": "🔙 بازگشت به متن",
    "btn_saved_delete_yes": "🗑 بله، حذف شود",
    "btn_saved_delete_no": "نه، بازگشت",
    "saved_name_ask": "یک نام کوتاه برای این متن بنویسید (حداکثر {max} نویسه، در یک سطر). "
    "همهٔ مدیران آن را در /texts می‌بینند.\n<pre>{preview}</pre>",
    "saved_rename_ask": "نام تازهٔ «{name}» را بنویسید (حداکثر {max} نویسه، در یک سطر).",
    "saved_name_empty": "نام خالی است. یک نام کوتاه بنویسید، یا «انصراف» را بزنید.",
    "saved_name_bad": "نام باید یک سطر و حداکثر {max} نویسه باشد. نام کوتاه‌تری بنویسید.",
    "saved_name_taken": "نام «{name}» پیش‌تر برای متن دیگری به کار رفته است. نام دیگری بنویسید.",
    "saved_name_key": "⚠️ این شبیه کلید API است؛ آن را ذخیره نکردم و پیامش را پاک کردم. "
    "اگر کلید واقعی بود، در پنل IPPanel باطلش کنید. یک نام کوتاه برای متن بنویسید.",
    "saved_name_not_text": "فقط یک نام کوتاه بنویسید، یا «انصراف» را بزنید.",
    "saved_text_empty": "متن خالی است و ذخیره نشد.",
    "saved_text_key": "⚠️ این متن شبیه کلید API است و ذخیره نشد.",
    "saved_ok": "✅ متن با نام «{name}» ذخیره شد. همهٔ مدیران آن را در /texts و در مرحلهٔ متن پیام می‌بینند.",
    "saved_not_saved": "متن ذخیره نشد.",
    "saved_gone": "این متن دیگر وجود ندارد؛ شاید مدیر دیگری آن را حذف کرده است.",
    "saved_list_title": "<b>متن‌های ذخیره‌شدهٔ تیم</b> (صفحهٔ {page} از {pages})",
    "saved_list_none": "هنوز متنی ذخیره نشده است. در کارت بازبینی یا کارت نتیجهٔ ارسال، «ذخیرهٔ این متن» را بزنید.",
    "saved_item": "<b>{n}. {name}</b>\n{summary}\nذخیره: {who} · {when}",
    "saved_pick_title": "<b>انتخاب متن ذخیره‌شده</b> (صفحهٔ {page} از {pages})\n"
    "متن انتخابی در پیش‌نمایش می‌آید؛ پیش از ادامه می‌توانید متن تازه‌ای بنویسید.",
    "saved_renamed": "✅ نام تغییر کرد: «{old}» ← «{name}»",
    "saved_delete_confirm": "متن «{name}» برای همهٔ مدیران حذف شود؟\n<pre>{text}</pre>",
    "saved_deleted": "متن «{name}» حذف شد.",
    "credit_estimate": "با این اعتبار حدود {n} به اندازهٔ آخرین ارسال "
    "(#{no}، {recipients}، حدود {cost} ریال) ممکن است.",
    "credit_estimate_none": "هنوز ارسالی با این کلید ثبت نشده است؛ برآورد تعداد ارسال ممکن نیست.",
    "credit_threshold_fixed": "آستانهٔ هشدار اعتبار: {threshold} ریال",
    "credit_threshold_auto": "آستانهٔ هشدار اعتبار: {threshold} ریال (هزینهٔ بزرگ‌ترین ارسال ۳۰ روز گذشته)",
    "credit_threshold_none": "آستانهٔ هشدار اعتبار: هنوز معلوم نیست (در ۳۰ روز گذشته ارسالی نبوده است)",
    "credit_below": "⚠️ اعتبار از آستانهٔ هشدار کمتر است.",
    "credit_team_title": "شما کلید API ندارید؛ اعتبار کلیدهایی که هشدار اعتبارشان را می‌گیرید:",
    "credit_team_item": "حساب {account} · کلید {owner}\nاعتبار: <b>{credit}</b> ریال\n{estimate}",
    "credit_team_error": "حساب {account} · کلید {owner}: {reason}",
    "credit_low": "⚠️ <b>اعتبار حساب IPPanel رو به پایان است</b>\n"
    "حساب: {account} · کلید: {owner}\nاعتبار مانده: <b>{credit}</b> ریال\n{estimate}\n"
    "برای افزایش اعتبار به پنل IPPanel بروید. تا اعتبار دوباره از آستانه بالاتر نرود، "
    "این هشدار تکرار نمی‌شود.",
    "credit_watch_auth": "⚠️ IPPanel کلید API شما را نپذیرفت (باطل یا منقضی شده است)؛ "
    "بررسی اعتبار و ارسال با این کلید ممکن نیست. با /token کلید تازه ثبت کنید.",
    "credit_watch_error": "⚠️ بررسی خودکار اعتبار حساب IPPanel ممکن نشد: {reason}\n"
    "باز هم امتحان می‌کنم و تا وقتی درست نشده، دوباره خبر نمی‌دهم. اعتبار را با /credit ببینید.",
    # screens: right-to-left layout, people's names, the delivery report, drafts
    "review_head": "<b>۵. بازبینی</b>\n",
    "report_line": "{operator}: {delivered} رسیده · {failed} نرسیده{more}",
    "report_pending": " · {n} در صف",
    "report_blacklist": " · {n} در فهرست سیاه",
    "report_no_stats": "هنوز آماری از اپراتورها نرسیده است.",
    "op_mci": "همراه اول",
    "op_irancell": "ایرانسل",
    "op_rightel": "رایتل",
    "op_other": "اپراتور {name}",
    "drafts_page": "<b>پیش‌نویس‌های شما</b> (صفحهٔ {page} از {pages})",
    "btn_drafts_purge": "🗑 حذف همهٔ پیش‌نویس‌های خالی ({n})",
    "drafts_purged": "{n} پیش‌نویس خالی حذف شد.",
    "drafts_purged_none": "پیش‌نویس خالی‌ای برای حذف نبود.",
    "draft_delete_pending_ask": "این پیش‌نویس یک درخواست در انتظار تأیید دارد (#{request}). "
    "با حذف پیش‌نویس، این درخواست پس گرفته می‌شود و کارت تأییدکنندگان بسته می‌شود. حذف شود؟",
    "btn_draft_delete_yes": "🗑 حذف و پس گرفتن درخواست",
    "btn_draft_delete_no": "انصراف",
    "draft_deleted_withdrawn": "درخواست #{request} پس گرفته شد و پیش‌نویس حذف شد.",
    "draft_delete_kept": "پیش‌نویس حذف نشد.",
    # test SMS to one's own phone
    "cmd_phone": "شمارهٔ من برای پیامک آزمایشی",
    "btn_trial_send": "📱 آزمایش روی گوشی من · {price} ریال",
    "btn_trial_send_noprice": "📱 آزمایش روی گوشی من",
    "trial_sending": "پیامک آزمایشی در حال ارسال است…",
    "trial_sent": "📱 <b>پیامک آزمایشی فرستاده شد</b> به {phone} از خط {sender}.\n"
    "شناسهٔ صندوق ارسال: {outbox}\nآزمایش‌های باقی‌مانده برای این متن: {left} از {limit}",
    "trial_failed": "❌ <b>پیامک آزمایشی فرستاده نشد</b>: {reason}\n"
    "چیزی ارسال نشد و این تلاش شمرده نشد. مشکل را رفع کنید و دوباره بزنید.",
    "trial_unknown": "⚠️ <b>نتیجهٔ پیامک آزمایشی نامعلوم است</b>: {reason}\n"
    "شاید رسیده باشد؛ گوشی‌تان را ببینید. خودکار دوباره فرستاده نمی‌شود و این تلاش شمرده شد. "
    "آزمایش‌های باقی‌مانده برای این متن: {left} از {limit}",
    "trial_limit": "سقف {limit} پیامک آزمایشی برای این متن پر شده است. "
    "برای آزمایش دوباره، متن یا خط ارسال را ویرایش کنید.",
    "trial_invalid": "پیامک آزمایشی فرستاده نشد: {reason}",
    "trial_daily_cap": "سقف {cap} پیامک آزمایشی شما در ۲۴ ساعت پر شده است. "
    "فردا دوباره امتحان کنید.",
    "trial_in_flight": "⏳ پیامک آزمایشی قبلی شما هنوز در راه است؛ چیزی دوباره فرستاده نشد. "
    "نتیجه را زیر کارت می‌بینید.",
    "trial_duplicate": "⏳ پیامک یکسان تازه فرستاده شده و سامانه تا {seconds} ثانیهٔ دیگر "
    "پیامک تکراری را نمی‌پذیرد. چیزی فرستاده نشد و شمرده نشد؛ {seconds} ثانیه صبر کنید "
    "و دوباره بزنید.",
    "trial_phone_ask": "📱 برای پیامک آزمایشی، شمارهٔ همراه خودتان را با دکمهٔ «{button}» در پایین صفحه بفرستید. "
    "تلگرام تأیید می‌کند که شماره مال خود شماست؛ شمارهٔ تایپ‌شده پذیرفته نمی‌شود.",
    "trial_phone_ask_for_trial": "📱 پیامک آزمایشی به شمارهٔ خود شما می‌رود و هنوز شماره‌ای ثبت نکرده‌اید. "
    "دکمهٔ «{button}» را در پایین صفحه بزنید، سپس دوباره «📱 آزمایش» را در کارت بازبینی بزنید.",
    "btn_trial_phone_share": "📱 فرستادن شمارهٔ من",
    "btn_trial_phone_cancel": "❌ انصراف از ثبت شماره",
    "trial_phone_saved": "✅ شمارهٔ {phone} برای پیامک آزمایشی ثبت شد. با /phone آن را ببینید یا فراموش کنید.",
    "trial_phone_forwarded": "مخاطب بازارسال‌شده پذیرفته نمی‌شود، حتی اگر شمارهٔ خودتان باشد. "
    "شماره را بازارسال نکنید؛ دکمهٔ «{button}» را در پایین صفحه بزنید تا تلگرام آن را مستقیم بفرستد.",
    "trial_phone_not_own": "این شمارهٔ خود شما نیست و ثبت نشد. فقط شمارهٔ خودتان را با دکمهٔ «{button}» بفرستید.",
    "trial_phone_not_mobile": "فقط شمارهٔ همراه ایران (۰۹…) پذیرفته می‌شود؛ این شماره ثبت نشد.",
    "trial_phone_typed": "شمارهٔ تایپ‌شده پذیرفته نمی‌شود، تا از ربات نتوان به شمارهٔ دیگران پیامک فرستاد. "
    "دکمهٔ «{button}» را در پایین صفحه بزنید.",
    "trial_phone_cancelled": "ثبت شماره لغو شد.",
    "trial_phone_shown": "📱 شمارهٔ ثبت‌شده برای پیامک آزمایشی: {phone}",
    "btn_trial_phone_forget": "🗑 فراموش کن",
    "btn_trial_phone_change": "🔄 شمارهٔ تازه",
    "trial_phone_forgotten": "شمارهٔ شما فراموش شد. تا ثبت دوباره با /phone، پیامک آزمایشی فرستاده نمی‌شود.",
    "trial_phone_none": "شماره‌ای ثبت نشده است.",
    "history_trials": "<b>پیامک‌های آزمایشی</b> (فقط به گوشی خودتان)",
    "history_trial_item": "🧪 آزمایشی · {state} · {when}\nبه {phone} · صندوق ارسال: {outbox}",
    # approval rules
    "approvals_line": "👥 تأییدها: {got} از {needed}{who}",
    "approvals_who": " ({names})",
    "approvals_sep": "، ",
    "approvals_rule_line": "\nقاعده: {rule}",
    "rule_recipients": "{n} گیرنده یا بیشتر، {k} تأیید",
    "rule_cost": "هزینهٔ {n} ریال یا بیشتر، {k} تأیید",
    "rule_cost_unknown": "هزینه هنگام ثبت معلوم نبود، پس سخت‌گیرانه‌ترین قاعدهٔ هزینه اعمال شد "
    "({n} ریال یا بیشتر، {k} تأیید)",
    "waiting_approvals": "⏳ درخواست #{no} برای تأیید فرستاده شد ({n}). "
    "{needed} تأیید از افراد مختلف لازم است؛ {rule}. تا آن موقع چیزی ارسال نمی‌شود.",
    "too_few_approvers": "⛔️ این ارسال {needed} تأیید از افراد مختلف لازم دارد ({rule})، "
    "اما جز شما فقط {n} تأییدکننده تعریف شده است. از مدیر ربات بخواهید APPROVER_IDS یا "
    "APPROVAL_RULES را تغییر دهد. پیش‌نویس محفوظ است.",
    "approval_you_approved": "✅ شما تأیید کردید؛ منتظر {n} تأیید دیگر.",
    "approval_counted_toast": "تأیید شما ثبت شد ({got} از {needed}). هنوز چیزی ارسال نشده است.",
    "approval_repeat": "شما این درخواست را قبلاً تأیید کرده‌اید؛ هر نفر یک بار شمرده می‌شود. "
    "منتظر {n} تأیید دیگر.",
    "approval_progress": "✅ {who} درخواست #{no} را تأیید کرد ({got} از {needed}). "
    "منتظر {n} تأیید دیگر؛ تا آن موقع چیزی ارسال نمی‌شود.",
    # words: counted nouns (English agrees with the count; Persian does not inflect),
    # scheduled sends, cancels, "never mind" after a decision, plain provider errors
    "n_phonebook_one": "{n} دفترچه",
    "n_phonebook_many": "{n} دفترچه",
    "n_recipient_one": "{n} گیرنده",
    "n_recipient_many": "{n} گیرنده",
    "n_contact_one": "{n} مخاطب",
    "n_contact_many": "{n} مخاطب",
    "n_picked_one": "{n} مخاطب انتخابی",
    "n_picked_many": "{n} مخاطب انتخابی",
    "n_approver_one": "{n} تأییدکننده",
    "n_approver_many": "{n} تأییدکننده",
    "n_character_one": "{n} نویسه",
    "n_character_many": "{n} نویسه",
    "n_broadcast_one": "{n} ارسال",
    "n_broadcast_many": "{n} ارسال",
    "draft_ref": "پیش‌نویس",
    "scheduled_ok": "🗓 ارسال #{no} زمان‌بندی شد برای {when}.\nشناسه‌های ارسال: {outbox}\n"
    "تا ۵ دقیقه پیش از آن می‌توانید با «لغو ارسال زمان‌بندی‌شده» لغوش کنید.",
    "reconciled_scheduled": "✅ بررسی شد: ارسال #{no} در IPPanel برای {when} زمان‌بندی شده است. شناسه‌ها: {outbox}",
    "state_scheduled": "زمان‌بندی‌شده",
    "reject_kept_decided": "درخواست #{no} را شما رد نکردید؛ پیش‌تر تعیین تکلیف شده بود: {state}{by}.",
    "by_who": " (توسط {who})",
    "cancelled_by_other": "⛔️ ارسال زمان‌بندی‌شدهٔ #{no} (برای {when}) توسط {who} لغو شد؛ چیزی فرستاده نمی‌شود.",
    "cancel_already": "ارسال #{no} پیش‌تر{by} لغو شده است؛ چیزی فرستاده نمی‌شود.",
    "cancel_not_scheduled": "ارسال #{no} زمان‌بندی نشده بود و همان موقع فرستاده شد؛ چیزی برای لغو نمانده است.",
    "cancel_nothing": "ارسال #{no} در وضعیت «{state}» است؛ چیزی برای لغو نیست.",
    "left_no_draft": "از گفتگو خارج شدید.",
    "token_cancelled": "ثبت کلید لغو شد؛ کلیدی ذخیره نشد.",
    "key_expired_plain": "کلید API شما نامعتبر یا منقضی است. با /token کلید تازه ثبت کنید.",
    "provider_error_plain": "⚠️ {reason}.{detail}\nکمی بعد دوباره امتحان کنید.",
    "provider_timeout_plain": "IPPanel پاسخ نداد. کمی بعد دوباره امتحان کنید.",
    "pw_server": "سامانهٔ IPPanel دچار خطای داخلی شد",
    "pw_unreachable": "به IPPanel وصل نشدم",
    "pw_bad_answer": "IPPanel پاسخ نامفهومی داد",
    "pw_key": "IPPanel کلید API را نپذیرفت (نامعتبر یا منقضی است)",
    "pw_phonebook_missing": "یکی از دفترچه‌ها در IPPanel پیدا نشد",
    "pw_not_found": "IPPanel مورد خواسته‌شده را پیدا نکرد",
    "pw_not_cancellable": "IPPanel این ارسال را پیدا نکرد یا دیگر قابل لغو نیست",
    "pw_no_credit": "اعتبار حساب IPPanel کافی نیست",
    # a broadcast's stored error, by its code
    "err_no_key": "کلید API ذخیره‌شدهٔ قابل‌استفاده‌ای نبود (با /token کلید بگذارید)",
    "err_prepare_failed": "خطای داخلی پیش از ارسال؛ چیزی فرستاده نشد",
    "err_unexpected": "خطای پیش‌بینی‌نشده هنگام ارسال؛ نتیجه نامعلوم است",
    "err_interrupted": "ارسال با توقف ربات نیمه‌کاره ماند؛ نتیجه نامعلوم است",
    "err_confirmed_not_sent": "کسی صندوق ارسال پنل را دید: ارسال نشده است",
    "err_legacy": "خطایی پیش از به‌روزرسانی ربات ثبت شده است (جزئیات در گزارش ممیزی)",
    "pw_invalid": "IPPanel «{field}» را نپذیرفت",
    "pw_refused": "IPPanel درخواست را نپذیرفت",
    "pw_field_sender": "خط ارسال",
    "pw_field_text": "متن پیام",
    "pw_field_recipients": "گیرندگان (دفترچه‌ها یا مخاطبان انتخابی)",
    "pw_field_time": "زمان ارسال",
    "pw_field_other": "یکی از مقادیر",
    "pw_detail": "\n<i>پاسخ IPPanel:</i> <code>{raw}</code>",
    # gradual sending
    "plan_when": "<b>ارسال تدریجی</b> (به وقت تهران): {n} نوبت، هر {every} دقیقه\n"
    "هر نوبت {batch} نفر (نوبت آخر {last_size} نفر) · جمع {total} نفر\n"
    "نوبت اول: {first}\nنوبت آخر: {last}",
    "btn_plan": "🕒 ارسال تدریجی",
    "plan_menu": "<b>ارسال تدریجی</b>\n"
    "پیام در چند نوبت به <b>یک</b> دفترچه (یا یک بازه از آن) می‌رود. همهٔ نوبت‌ها از همین حالا در "
    "IPPanel زمان‌بندی می‌شوند و تأیید یک‌بار برای کل برنامه است.\n"
    "اندازهٔ هر نوبت: <b>{batch}</b> · فاصله: <b>{every}</b>\n\n{plan}",
    "plan_unset": "انتخاب نشده",
    "plan_several": "⚠️ ارسال تدریجی فقط برای یک دفترچه یا یک بازه از یک دفترچه است. "
    "برای چند دفترچه، برای هر دفترچه درخواستی جدا بسازید؛ در مرحلهٔ دفترچه‌ها فقط یکی را نگه دارید.",
    "plan_no_time": "زمان نوبت اول را در مرحلهٔ «زمان» انتخاب کنید؛ ارسال تدریجی «همین حالا» ندارد.",
    "plan_too_many": "⚠️ با این اندازه بیش از {max} نوبت می‌شود؛ اندازهٔ نوبت را بزرگ‌تر کنید.",
    "plan_too_long": "⚠️ نوبت آخر بیش از یک سال بعد می‌افتد؛ فاصله را کمتر کنید.",
    "plan_pick": "اندازه و فاصله را با دکمه‌ها انتخاب کنید.",
    "plan_batch_n": "{n} نفر",
    "plan_every_n": "هر {n} دقیقه",
    "plan_minutes": "{n} دقیقه",
    "btn_plan_batch_typed": "✍️ اندازهٔ دیگر",
    "btn_plan_every_typed": "✍️ فاصلهٔ دیگر",
    "btn_plan_done": "↩️ بازگشت به بازبینی",
    "btn_plan_time": "⏱ زمان نوبت اول",
    "plan_blocked": "⚠️ ارسال تدریجی انتخاب شده ولی برنامه ساخته نمی‌شود: {why}\n"
    "زمان را عوض کنید یا «ارسال یک‌جا» را بزنید؛ تا آن موقع ارسال ممکن نیست.\n",
    "btn_plan_off": "✖️ ارسال یک‌جا (بدون نوبت)",
    "plan_ask_batch": "اندازهٔ هر نوبت را بنویسید: عددی بین {min} و {max}.",
    "plan_ask_every": "فاصلهٔ نوبت‌ها را به دقیقه بنویسید: عددی بین {min} و {max}.",
    "plan_bad_number": "⚠️ این عدد پذیرفته نیست. عددی بین {min} و {max} بنویسید؛ پیش‌نویس دست نخورده است.",
    "plan_posted": "✅ برنامهٔ ارسال تدریجی {ref}: هر {n} نوبت در IPPanel زمان‌بندی شد.\n{progress}",
    "plan_stopped": "⚠️ برنامهٔ ارسال تدریجی {ref} در نوبت {at} متوقف شد. {why}\n"
    "نوبت‌های قبلی سر جای خود هستند؛ نوبت‌های بعدی فرستاده نمی‌شوند تا کسی پنل IPPanel را بررسی کند.\n{progress}",
    "plan_why_unknown": "نتیجهٔ این نوبت معلوم نیست (شاید رفته باشد).",
    "plan_why_failed": "IPPanel این نوبت را نپذیرفت: {reason}",
    "plan_why_other": "این نوبت ارسال‌شده نیست ({state}).",
    "plan_why_settled": "این نوبت اکنون {state} است؛ «ادامهٔ برنامه» بقیه را می‌فرستد.",
    "plan_late": "⚠️ برنامهٔ ارسال تدریجی {ref}: زمان نوبت {at} گذشته یا کمتر از یک دقیقه مانده است؛ "
    "این نوبت و بعدی‌ها فرستاده نشدند (چیزی «همین حالا» فرستاده نمی‌شود). "
    "با «ادامه از اکنون» زمان‌های تازه را می‌بینید و پس از تأیید ثبت می‌شوند.\n{progress}",
    "plan_halted": "برنامهٔ ارسال تدریجی {ref} را یک مدیر متوقف کرده است.\n{progress}",
    "plan_busy": "برنامهٔ ارسال تدریجی {ref} هم‌اکنون در حال ثبت است.",
    "plan_progress": "نوبت‌ها: {total} · زمان‌بندی‌شده: {scheduled} · رفته: {sent} · ناموفق: {failed} · "
    "نامعلوم: {unknown} · لغوشده: {cancelled} · ثبت‌نشده: {unposted}",
    "plan_batch_line": "{no}. {when} · ردیف {first}–{last} · {state}",
    "plan_more": "… و {n} نوبت دیگر",
    "plan_state_scheduled": "زمان‌بندی‌شده",
    "plan_state_gone": "رفته",
    "plan_state_unposted": "ثبت‌نشده",
    "btn_plan_refresh": "🔄 پیشرفت برنامه",
    "btn_plan_cancel": "⛔️ لغو نوبت‌های باقی‌مانده",
    "btn_plan_continue": "▶️ ادامهٔ برنامه (پنل را بررسی کرده‌ام)",
    "plan_cancel_done": "⛔️ برنامهٔ ارسال تدریجی {ref} لغو شد؛ هیچ نوبتی از آن دیگر فرستاده نمی‌شود.\n"
    "لغوشده: {cancelled}\n"
    "لغو نشد (کمتر از ۵ دقیقه مانده یا IPPanel نپذیرفت): {refused}\n"
    "نپذیرفته، فرستاده‌نشده: {failed}\n"
    "نامعلوم (در پنل بررسی کنید): {unknown}\n"
    "ثبت‌نشده (دیگر هرگز فرستاده نمی‌شوند): {unposted}",
    "plan_gone": "این برنامه پیدا نشد یا مال شما نیست.",
    "history_plan": "{ref} · ارسال تدریجی · زمان ارسال: {when}\n{progress}",
    "history_plan_span": "{first} تا {last}",
    # lifecycle: batch cards, continue, continue from now, refusals
    "batch_ref": "نوبت {no} از {ref} (ردیف {first}–{last}، {when})",
    "batch_size_line": "\nگیرندگان این نوبت: {n} نفر{cost}",
    "batch_cost": " · هزینهٔ تخمینی این نوبت: {cost} ریال",
    "batch_scheduled_ok": "🗓 {batch} در IPPanel زمان‌بندی شد.{size}\nشناسه‌های ارسال: {outbox}",
    "batch_failed": "❌ {batch} فرستاده نشد: {reason}{size}",
    "batch_unknown": "⚠️ نتیجهٔ {batch} معلوم نیست (شاید رفته باشد): {reason}{size}",
    "batch_reconciled_sent": "✅ {batch} در IPPanel پیدا شد و زمان‌بندی شده است.\nشناسه‌های ارسال: {outbox}",
    "batch_cancel_ok": "⛔️ {batch} لغو شد و فرستاده نمی‌شود. بقیهٔ برنامه همان است که بود:\n{progress}",
    "btn_batch_cancel": "⛔️ لغو نوبت {no}",
    "btn_batch_retry": "🔄 تلاش دوبارهٔ نوبت {no}",
    "plan_refused_halted": "⛔️ برنامهٔ ارسال تدریجی {ref} لغو شده است؛ هیچ نوبتی از آن دیگر فرستاده نمی‌شود. "
    "چیزی فرستاده نشد.",
    "send_refused_approvals_lost": "⛔️ تأیید {ref} دیگر کافی نیست: کسی که آن را تأیید کرده بود دیگر "
    "تأییدکننده نیست. چیزی فرستاده نشد؛ برای ردیف‌های باقی‌مانده درخواستی تازه بفرستید.",
    "send_refused_requester_removed": "⛔️ درخواست‌دهندهٔ {ref} دیگر مدیر نیست؛ چیزی فرستاده نشد.",
    "plan_first_retry": "برای ادامهٔ برنامهٔ {ref}، نخست نوبت {at} را که IPPanel نپذیرفت دوباره بفرستید "
    "(دوباره هزینه دارد)؛ سپس «ادامهٔ برنامه» را بزنید.",
    "plan_first_check": "برای ادامهٔ برنامهٔ {ref}، نخست نتیجهٔ نوبت {at} باید معلوم شود: وضعیتش را بررسی "
    "کنید، یا اگر در پنل دیدید نرفته، «ارسال نشده» را بزنید و آن را دوباره بفرستید؛ سپس «ادامهٔ برنامه».",
    "plan_nothing_left": "برنامهٔ {ref} نوبتی برای ادامه ندارد.",
    "plan_continuing": "⏳ برنامهٔ ارسال تدریجی {ref} ادامه می‌یابد: نوبت‌های باقی‌مانده یکی‌یکی در IPPanel "
    "ثبت می‌شوند و نتیجه را به هر دو مدیر می‌گویم.",
    "btn_plan_from_now": "⏩ ادامه از اکنون (زمان‌های تازه)",
    "plan_from_now_ask": "زمان‌های تازهٔ نوبت‌های باقی‌ماندهٔ {ref} (با همان فاصله، به وقت تهران):\n{lines}\n"
    "با تأیید، این نوبت‌ها در همین زمان‌ها ثبت می‌شوند.",
    "plan_from_now_line": "{no}. {when} · ردیف {first}–{last}",
    "btn_plan_from_now_ok": "✅ تأیید زمان‌های تازه",
    "plan_cancelled_card": "⛔️ برنامهٔ ارسال تدریجی {ref} لغو شد؛ هیچ نوبتی از آن دیگر فرستاده نمی‌شود.\n{progress}",
    "plan_state_failed": "ناموفق",
    "plan_state_unknown": "نامعلوم",
    "plan_state_cancelled": "لغوشده",
}

EN: dict[str, str] = {
    "stranger": "Hello! This bot is only for this company's admins.\n"
    "Your numeric id: <code>{user_id}</code>\n"
    "If you should have access, give this id to the bot's owner.",
    "stranger_button": "This bot is for admins only. Your id: {user_id}",
    "group_key_warning": "⚠️ You sent an API key in a group. It was NOT stored. Revoke it in the "
    "IPPanel panel now and send a new key only in a private chat with the bot.",
    "edited_ignored": "Edits are ignored; please send the text again.",
    "use_buttons": "Please use the buttons of the message above, or /cancel to leave.",
    "outside_hint": "Use /send to send an SMS broadcast; /help for help.",
    "stale_menu": "This menu is out of date. Use /send or /drafts to continue.",
    "error_generic": "Something went wrong and nothing was done. Your draft is safe; try again.",
    "help": "<b>IPPanel SMS broadcast bot</b>\n"
    "Pick a sender line, a few phonebooks and a text; after a second admin approves, "
    "the SMS go out through IPPanel.\n\n"
    "Your role: {role}\n"
    "API key: {key_state}\n\n"
    "<b>Commands</b>\n"
    "/send new broadcast\n/drafts drafts\n/history past broadcasts\n"
    "/credit account credit\n/texts the team's saved texts\n/phone my number for test SMS\n"
    "/token set API key\n/logout forget API key\n"
    "/lang language\n/cancel leave the conversation (the draft stays)",
    "role_admin": "admin (sender)",
    "role_approver": "approver",
    "role_both": "admin and approver",
    "key_set": "set ({hint}, account {account})",
    "key_missing": "not set — use /token",
    "cmd_send": "New SMS broadcast",
    "cmd_drafts": "Drafts",
    "cmd_history": "Past broadcasts",
    "cmd_credit": "Account credit",
    "cmd_token": "Set API key",
    "cmd_logout": "Forget API key",
    "cmd_lang": "Language",
    "cmd_help": "Help",
    "cmd_cancel": "Leave the conversation",
    "token_ask": "Send your IPPanel API key (panel → Developers → Access keys).\n"
    "I delete the message carrying it at once. /cancel to stop.",
    "token_saved": "✅ Key saved.\nAccount: <b>{account}</b>\nKey: {hint}\n{block}",
    "token_send_blocked": "⚠️ Sending is blocked for this account; nothing can be sent until it is lifted.",
    "token_send_ok": "Sending is allowed for this account. Use /send to start.",
    "token_rejected": "❌ This key was refused: {reason}\nIt was not stored. Check it in the panel and use /token again.",
    "token_unreachable": "❌ IPPanel cannot be reached now ({reason}). The key was not stored; try /token again later.",
    "token_not_text": "Send only the key as text. /cancel to stop.",
    "token_forwarded": "A forwarded message is not accepted as a key. Copy and send the key yourself.",
    "token_not_deleted": "⚠️ I could not delete the message with the key; please delete it yourself.",
    "logout_done": "Your API key was deleted.",
    "logout_none": "No key was stored.",
    "need_key": "First set your API key with /token.",
    "key_broken": "The stored key cannot be used. Please set it again with /token.",
    "key_expired": "Your API key is invalid or expired. Set a new one with /token. The draft is safe.",
    "provider_error": "⚠️ {reason}.{detail}\nThe draft is safe; try again shortly.",
    "provider_timeout": "IPPanel did not answer. The draft is safe; try again shortly.",
    "provider_invalid": "⚠️ {reason}.{detail}",
    "sender_title": "<b>1. Sender line</b>\nChoose the line the SMS are sent from:",
    "sender_only_one": "Sender line: {sender} (your account's only line)",
    "sender_none": "No sender line was found on your IPPanel account. Add one in the panel, then /send again.",
    "same_as_last": "🔁 Same as last time",
    "resume_offer": "You have an unfinished draft ({summary}). Continue it or start a new one?",
    "btn_resume": "▶️ Continue draft",
    "btn_new_draft": "🆕 New draft",
    "books_title": "<b>2. Phonebooks</b>\nTap phonebooks to select them (✓). Type part of a title to search.",
    "books_filter": "Search: “{filter}”",
    "books_none": "No phonebook found.",
    "books_total": "Selected: {books}, {recipients}",
    "books_need_one": "Select at least one phonebook with contacts.",
    "book_empty": "The phonebook “{title}” is empty (0 contacts), so it was not selected. "
    "If you just added contacts, try again shortly.",
    "books_page": "Page {page} of {pages}",
    "btn_clear_filter": "✖️ Clear search",
    "btn_books_done": "Continue: message text ▶️",
    "btn_books_options": "⚙️ A slice or picked contacts",
    "options_title": "<b>Selected phonebooks</b>\nFor each you may send to the whole book, a slice, or "
    "hand-picked contacts. Tap a title to change it.",
    "mode_all": "whole book",
    "mode_slice": "rows {start} to {end}",
    "book_options": "<b>{title}</b> ({count})\nWho in this phonebook gets the SMS?",
    "btn_whole": "Whole book",
    "btn_slice": "A slice of rows",
    "btn_pick": "Pick contacts",
    "btn_remove": "🗑 Remove",
    "btn_to_text": "Continue: message text ▶️",
    "slice_ask": "Type the first and the last row, e.g. <code>101-200</code> for rows 101 to 200 "
    "(100 contacts). A single number, e.g. <code>500</code>, means the first 500 rows.\n"
    "This phonebook has {count}.",
    "slice_format": "I did not understand that range. Type the first and the last row, e.g. "
    "<code>101-200</code> (rows 1 to {count}).",
    "slice_order": "The last row cannot come before the first. Type e.g. <code>101-200</code>.",
    "slice_past_end": "This phonebook has only {count}; the range must stay inside it, "
    "e.g. <code>1-{last}</code>.",
    "contacts_title": "<b>Contacts of {title}</b>\nTap contacts to select them (✓). Type a whole number (e.g. 09121234567) to search.\n"
    "Selected: {n}",
    "contacts_none": "No contact found.",
    "btn_contacts_done": "Confirm selection ✅",
    "contacts_empty_reverted": "No contact was picked; the whole book is used.",
    "text_ask": "<b>3. Message text</b>\n{reused}Type the SMS text.{suffix_note}",
    "text_reused": "From line {sender} to {books}\n",
    "text_suffix_note": "\nThis line is appended to the message: {suffix}",
    "text_preview": "<b>SMS preview</b>\n<pre>{message}</pre>\n"
    "Characters: {chars} · parts: {parts} ({encoding})\n{price}",
    "text_price": "Per recipient: {per} rials · for {recipients}: about {total} rials\nCredit: {credit} rials",
    "price_pending": "Estimating the cost and checking the credit…",
    "text_price_unknown": "The cost could not be estimated now ({reason}).",
    "credit_short": "⚠️ The account credit is not enough for this broadcast.",
    "text_empty": "The text is empty. Type the SMS text.",
    "text_too_long": "The text is too long: {chars}{suffix}. At most {limit} are allowed ({rule}); "
    "shorten it by at least {over}.",
    "text_suffix_counted": " plus {n} of the fixed suffix",
    "text_limit_ucs2": "Persian text: 20 parts × 67 characters",
    "text_limit_gsm7": "Latin text: 1,400 characters",
    "text_not_text": "Only text is accepted at this step (no photo, sticker, voice or file). Type the SMS text.",
    "btn_text_ok": "⏱ Another send time",
    "btn_text_now": "Time: now ▶️",
    "btn_back_to_review": "Back to the review ▶️",
    "text_replace_note": "✏️ To change it, type the new text; it replaces this one.",
    "time_ask": "<b>4. Send time</b>\nChoose one, or type a Jalali date and time, e.g. "
    "<code>{example}</code> ({tz} time).",
    "btn_now": "Now",
    "btn_hour": "In one hour",
    "btn_tonight": "Tonight 20:00",
    "btn_tomorrow": "Tomorrow 09:00",
    "time_format": "I did not understand that date. Type it like <code>{example}</code>",
    "time_invalid_date": "That date does not exist in the Jalali calendar. Type it like <code>{example}</code>",
    "time_too_soon": "The send time must be at least 10 minutes from now. For example: <code>{example}</code>",
    "time_too_far": "That send time is more than a year away; check the year. For example: <code>{example}</code>",
    "time_invalid_time": "That time of day is not valid: hours 0–23, minutes 0–59. For example: <code>{example}</code>",
    "time_not_text": "Type the date and time as text or tap a button.",
    "time_now": "now (after approval)",
    "tz_tehran": "Tehran",
    "review": "{head}"
    "Sender: {sender}\n"
    "Phonebooks:\n{books}\n"
    "Total recipients: <b>{recipients}</b>\n"
    "Time: {when}\n"
    "Characters: {chars} · parts: {parts}\n"
    "{cost}"
    "Exact SMS text:\n<pre>{message}</pre>",
    "review_cost": "Estimated cost: {total} rials · credit: {credit} rials\n",
    "btn_submit": "✅ Submit for approval",
    "btn_send_now": "✅ Send",
    "btn_edit_sender": "✏️ Sender",
    "btn_edit_books": "✏️ Phonebooks",
    "btn_edit_text": "✏️ Text",
    "btn_edit_time": "✏️ Time",
    "btn_save_leave": "💾 Save and leave",
    "btn_discard": "🗑 Discard",
    "btn_back": "↩️ Back",
    "btn_prev": "◀️ Previous",
    "btn_next": "Next ▶️",
    "saved_left": "Draft saved. Continue with /drafts.",
    "discarded": "Draft discarded.",
    "cancelled": "You left the conversation. The draft is saved; continue with /drafts.",
    "nothing_to_cancel": "There was no active conversation.",
    "draft_incomplete": "The draft is incomplete; finish the “{step}” step.",
    "step_sender": "sender line",
    "step_phonebooks": "phonebooks",
    "step_text": "text",
    "step_time": "time",
    "step_review": "review",
    "drafts_title": "<b>Your drafts</b>",
    "drafts_none": "You have no drafts. Start with /send.",
    "draft_line": "{n}. {summary} · {updated}",
    "draft_summary_empty": "no text",
    "btn_draft_open": "▶️ {n}",
    "btn_draft_copy": "📄 Copy",
    "btn_draft_delete": "🗑",
    "draft_deleted": "Draft “{summary}” deleted.",
    "draft_missing": "This draft no longer exists.",
    "no_approver": "No other approver is configured, so this broadcast cannot be approved. Ask the "
    "bot's owner to add a second admin to APPROVER_IDS. The draft is safe.",
    "waiting_approval": "⏳ Request #{no} was sent for approval ({n}). Nothing is sent until it is approved.",
    "approvers_unreachable": "⚠️ Request #{no} was stored but reached no approver (they blocked "
    "the bot or never started it). Ask them to open the bot, then withdraw and submit again.",
    "btn_withdraw": "↩️ Withdraw request",
    "approval_card": "<b>Broadcast request #{no}</b> from {requester}\n{card}\n\nApprove before: {expires}",
    "btn_approve": "✅ Approve and send",
    "btn_reject": "❌ Reject",
    "reject_reason_ask": "Type the reason for rejecting request #{no}, or reject without a reason.",
    "btn_reject_no_reason": "Reject without reason",
    "btn_reject_keep": "Never mind",
    "reject_kept": "Request #{no} was not rejected; it is still waiting for approval.",
    "decided_approved": "✅ Approved by {who} at {when}.",
    "decided_rejected": "❌ Rejected by {who} at {when}.{reason}",
    "decided_withdrawn": "↩️ The requester withdrew this request.",
    "decided_expired": "⌛️ This request expired.",
    "reason_line": "\nReason: {reason}",
    "request_rejected": "❌ Request #{no} was rejected by {who}.{reason}\nThe draft is safe; edit it with /drafts.",
    "request_expired": "⌛️ Request #{no} expired and nothing was sent. The draft is safe.",
    "request_withdrawn": "Request #{no} withdrawn. The draft is safe.",
    "request_settled": "Request #{no} was sent for approval; now: {state}.",
    "request_invalidated": "The draft was edited, so request #{no} is void; submit again after review.",
    "decision_not_found": "This request was not found.",
    "decision_not_allowed": "You are not allowed to approve.",
    "decision_self": "You cannot approve or reject your own request.",
    "decision_already": "This request was already decided ({state}).",
    "decision_expired": "This request has expired; nothing changed.",
    "decision_tampered": "This request's content does not match what was submitted; nothing was sent.",
    "decision_not_requester": "Only the requester can withdraw a request.",
    "state_pending": "pending",
    "state_approved": "approved",
    "state_rejected": "rejected",
    "state_expired": "expired",
    "state_withdrawn": "withdrawn",
    "state_sending": "sending",
    "state_sent": "sent",
    "state_failed": "not sent",
    "state_unknown": "unknown",
    "state_cancelled": "cancelled",
    "sending_now": "⏳ Sending…",
    "sent_ok": "✅ Broadcast #{no} sent.\nOutbox ids: {outbox}\n{when}",
    "sent_immediate": "Sent at once.",
    "send_failed_invalid": "❌ Broadcast #{no} was not sent: {reason}\n"
    "The draft went back to the requester; fix the “{step}” step.",
    "send_failed_auth": "❌ Broadcast #{no} was not sent: the requester's API key is invalid or expired. "
    "The requester must set a new key with /token, then tap “Retry”.",
    "send_failed_no_key": "❌ Broadcast #{no} was not sent: the requester has no stored API key. "
    "After setting one with /token, tap “Retry”.",
    "send_failed_network": "❌ Broadcast #{no} was not sent: IPPanel could not be reached. We are sure no SMS "
    "went out. You may retry; no new approval is needed.",
    "send_failed_other": "❌ Broadcast #{no} was not sent: {reason}",
    "send_unknown": "⚠️ The outcome of broadcast #{no} is unknown: {reason}\n"
    "IPPanel may have accepted it. To avoid a second broadcast it is not retried automatically. "
    "Use “Check status” to ask IPPanel.",
    "send_interrupted": "⚠️ The bot stopped while sending #{no}; the outcome is unknown. "
    "It is not retried automatically; use “Check status”.",
    "send_not_started": "The send did not start and nothing was sent. Review the draft and submit again.",
    "send_duplicate": "This request was already sent; it will not be sent again.",
    "reconciled_sent": "✅ Checked: broadcast #{no} did go out. Outbox ids: {outbox}",
    "reconciled_not_sent": "Checked: broadcast #{no} did not go out. Tap “Retry” if needed.",
    "reconciled_unknown": "It is still not known whether #{no} went out. Check again later.",
    "unknown_given_up": "⚠️ Broadcast #{no} is still unknown after {days} days. The bot no longer asks "
    "IPPanel about it by itself; it stays unknown and is never retried automatically. Please check it yourself.",
    "retry_refused": "Only a broadcast that certainly did not go out can be retried.",
    "btn_report": "📊 Delivery report",
    "btn_cancel_send": "⛔️ Cancel scheduled send",
    "btn_again": "🔁 Send again",
    "btn_retry": "🔄 Retry",
    "btn_check": "🔎 Check status",
    "btn_fix": "✏️ Fix the draft",
    "report": "<b>Report of broadcast #{no}</b>\n{state}\n{table}",
    "report_unavailable": "The report is not available now: {reason}",
    "cancel_ok": "⛔️ Broadcast #{no} was cancelled and will not go out.",
    "cancel_refused": "Cannot cancel: {reason}",
    "cancel_too_late": "Less than 5 minutes remain before broadcast #{no} goes out; IPPanel no longer accepts a cancel.",
    "again_ready": "A new draft was made from broadcast #{no}; it needs its own approval.",
    "not_yours": "This is not yours.",
    "history_title": "<b>Past broadcasts</b> (page {page})",
    "history_none": "No broadcast yet.",
    "history_item": "#{no} · {state} · send time: {when}\nRequester: {requester} · approved by: {approver}\n"
    "Recipients: {recipients} · outbox ids: {outbox}",
    "history_decided": "<b>Requests you decided</b>",
    "history_pending": "<b>Waiting for approval</b>",
    "history_pending_more": "… and {n} more requests waiting for approval",
    "history_pending_item": "#{no} · approvals: {got} of {needed} · send time: {when}\nRequester: {requester} · recipients: {recipients}",
    "history_decided_item": "#{no} · {state} · {when}",
    "credit": "Account credit: <b>{credit}</b> rials{gift}",
    "credit_gift": "\nGift: {gift} rials",
    "lang_ask": "زبان را انتخاب کنید / Choose a language:",
    "lang_set": "Language: English",
    # money
    "submit_no_key": "Not submitted: your API key is not stored or cannot be read, so the send could only fail. "
    "Store it with /token and tap “Submit for approval” again. The draft is kept.",
    "submit_short_credit": "Not submitted: the account credit is too low. Estimated cost at least {cost} rials, "
    "credit {credit} rials; missing: <b>{missing}</b> rials. Top up and submit again. The draft is kept.",
    "card_money": "Estimated cost: {cost} · Current credit: {credit}\n",
    "amount_rials": "{n} rials",
    "card_money_short": "⚠️ The credit may not cover this send.\n",
    "card_money_unknown": "unknown",
    # campaign guardrails (#22): night hours
    "guard_quiet": "🌙 <b>Arrives at {at}, inside quiet hours</b> ({window})\n",
    "guard_quiet_now": "🌙 <b>Sent now, it arrives at {at}, inside quiet hours</b> ({window})\n",
    "guard_quiet_plan": "🌙 <b>{n} of {total} batches fall inside quiet hours</b> ({window})\n",
    "guard_quiet_skipped": "🌙 Night batches moved to the end of the quiet hours ({window}).\n",
    "btn_quiet_move": "🌙 Send when quiet hours end: {at}",
    "btn_quiet_skip": "🌙 Skip the night (resume at {at})",
    "btn_quiet_keep": "↩️ Keep the night times",
    # campaign guardrails (#22): repeats
    "guard_repeat": "🔁 <b>Repeat: the same text in #{no} to {n} of these recipients</b> "
    "({state}, {when}, by {who})\n",
    "guard_repeat_book": "This phonebook also has #{no} ({when}, {state}, by {who}).\n",
    "guard_state_sent": "sent",
    "guard_state_scheduled": "scheduled",
    "guard_state_unknown": "outcome unknown",
    "guard_state_pending": "waiting for approval",
    # campaign guardrails (#22): the month's budget
    "guard_budget": "💰 This month: {spent} of {budget} million rials\n",
    "guard_budget_with": "💰 This month: {spent} of {budget} million rials; with this request: {after}\n",
    "guard_budget_over": "⚠️ <b>This request goes {over} rials over the month's budget</b>; "
    "it needs one approval more than its rule.\n",
    "guard_budget_over_hard": "⚠️ <b>This request goes {over} rials over the month's budget</b> "
    "and will be refused.\n",
    "rule_budget": "one more approval for going over the month's budget",
    "submit_over_budget": "Not submitted: this send goes {over} rials over the month's budget "
    "(this month: {spent} of {budget} million rials). The draft is kept.",
    "credit_month_spend": "Spent this month (sent and scheduled): {spent} million rials",
    "credit_month_budget": "Spent this month (sent and scheduled): {spent} of {budget} million rials",
    # campaign guardrails (#22): the follow-up after a send
    "follow_up": "📬 <b>Follow-up of broadcast #{no}</b> ({minutes} minutes after it went out)\n"
    "{lines}\n"
    "Delivered: {delivered} of {total} ({share}%) · not delivered: {failed} · pending: {pending}\n"
    "Cost charged: {charged} · estimate at approval: {estimate}",
    "follow_up_low": "⚠️ <b>Only {share}% delivered; most failures: {operator}</b> ({failed} not delivered)\n\n",
    "decided_voided": "⛔️ The requester is no longer an admin; this request was voided and nothing was sent.",
    "decision_requester_removed": "The requester is no longer an admin; the request was voided and nothing was sent.",
    "unknown_howto": "\n\nTo be sure: in the IPPanel panel open “Reports → Outbox” and look for a message from line {sender} "
    "with this text around {when}. If it is there, it went out; do not send it again.",
    "btn_not_sent": "🗒 Checked the panel: not sent",
    "confirm_not_sent_ask": "<b>Confirm “not sent” for #{no}</b>\n"
    "Confirm only if you looked at the outbox in the IPPanel panel and there is no message from line {sender} with this text around {when}. "
    "After this, “Retry” becomes possible, and if the message did go out it <b>will be sent and paid for again</b>.\n\n"
    "Text: {text}",
    "btn_confirm_not_sent": "✅ I checked: it was not sent",
    "btn_keep_unknown": "Cancel",
    "confirm_not_sent_kept": "Nothing changed; broadcast #{no} is still unknown.",
    "confirmed_not_sent": "Broadcast #{no} was recorded as not sent by {who} at {when}. You can now tap “Retry”.",
    "confirm_not_sent_refused": "Broadcast #{no} is no longer unknown ({state}); nothing changed.",
    "stranded": "⚠️ Request #{no} was approved but its send never started (the bot stopped, or a database error). "
    "<b>No SMS was sent.</b> Tap the button below to send it.",
    "stranded_voided": "Request #{no} was approved but not sent, and its requester is no longer an admin; it was voided. No SMS was sent.",
    "btn_start_stranded": "📤 Send it now",
    "stranded_refused": "This send is not possible now ({reason}).",
    "stranded_too_late": "⚠️ The send time of {ref} has passed and nothing of it was sent; it is "
    "not sent “now”. Make a new request with a new time for these recipients.",
    # ippanel
    "contacts_need_whole_number": "The SMS panel only searches by the <b>whole number</b>. "
    "Send the whole number, e.g. 09121234567 or +989121234567.",
    "cancel_not_cancellable": "IPPanel did not find broadcast #{no}, or it can no longer be "
    "cancelled; nothing was cancelled.",
    "credit_ran_out": "⚠️ The IPPanel account ran out of credit; broadcast #{no} was not sent.\n"
    "Current credit: {credit} rials\nEstimated cost of this broadcast: {cost} rials\n"
    "Top up the credit, then send again if needed.",
    "credit_ran_out_reason": "the account ran out of credit (current credit: {credit} rials; "
    "estimated cost of this broadcast: {cost} rials). Top up, then send again.",
    # hostile
    "books_summary": "{n}, {recipients} (the button below lists them)",
    "btn_books_list": "📒 List the phonebooks",
    "books_list_title": "<b>Phonebooks of {ref}</b>",
    "books_list_gone": "This list is no longer available.",
    "card_text_apart": "The exact SMS text is in the message this card replies to.",
    "card_text_msg": "<b>Exact SMS text of {ref}</b> (complete, as it will be sent):\n<pre>{message}</pre>",
    "approver_only": "You approve requests; composing is for admins.",
    "key_refused_here": "That looked like an API key: it was deleted and stored nowhere. Use /token to set a key.",
    "reason_too_long": "The reason is too long (at most {max} characters). Shorten it or reject without a reason.",
    "token_wait_ended": "No longer waiting for a key; send /token again to set one.",
    # team rules
    "cmd_texts": "Saved texts",
    "btn_use_saved": "📚 Use a saved text",
    "btn_save_text": "📌 Save this text",
    "btn_name_cancel": "Cancel",
    "btn_saved_back": "🔙 Back to the text",
    "btn_saved_delete_yes": "🗑 Yes, delete it",
    "btn_saved_delete_no": "No, go back",
    "saved_name_ask": "Type a short name for this text (at most {max} characters, one line). "
    "Every admin sees it in /texts.\n<pre>{preview}</pre>",
    "saved_rename_ask": "Type the new name for “{name}” (at most {max} characters, one line).",
    "saved_name_empty": "The name is empty. Type a short name, or tap “Cancel”.",
    "saved_name_bad": "A name is one line of at most {max} characters. Type a shorter name.",
    "saved_name_taken": "The name “{name}” is already used by another text. Type another name.",
    "saved_name_key": "⚠️ That looks like an API key; I did not store it and deleted the message. "
    "If it was a real key, revoke it in the IPPanel panel. Type a short name for the text.",
    "saved_name_not_text": "Type a short name only, or tap “Cancel”.",
    "saved_text_empty": "The text is empty and was not saved.",
    "saved_text_key": "⚠️ This text looks like an API key and was not saved.",
    "saved_ok": "✅ Text saved as “{name}”. Every admin sees it in /texts and at the text step.",
    "saved_not_saved": "The text was not saved.",
    "saved_gone": "This text no longer exists; another admin may have deleted it.",
    "saved_list_title": "<b>The team's saved texts</b> (page {page} of {pages})",
    "saved_list_none": "No text saved yet. Tap “Save this text” on a review card or a send's result card.",
    "saved_item": "<b>{n}. {name}</b>\n{summary}\nSaved by {who} · {when}",
    "saved_pick_title": "<b>Pick a saved text</b> (page {page} of {pages})\n"
    "It goes into the preview; you can still type a new text before continuing.",
    "saved_renamed": "✅ Renamed: “{old}” → “{name}”",
    "saved_delete_confirm": "Delete “{name}” for every admin?\n<pre>{text}</pre>",
    "saved_deleted": "“{name}” deleted.",
    "credit_estimate": "This credit covers about {n} the size of the last one "
    "(#{no}, {recipients}, about {cost} rials).",
    "credit_estimate_none": "No broadcast with this key yet, so no estimate of how many it covers.",
    "credit_threshold_fixed": "Credit alert threshold: {threshold} rials",
    "credit_threshold_auto": "Credit alert threshold: {threshold} rials (the largest broadcast of the last 30 days)",
    "credit_threshold_none": "Credit alert threshold: not known yet (no broadcast in the last 30 days)",
    "credit_below": "⚠️ Credit is below the alert threshold.",
    "credit_team_title": "You have no API key; the credit of the keys whose alerts you get:",
    "credit_team_item": "Account {account} · key of {owner}\nCredit: <b>{credit}</b> rials\n{estimate}",
    "credit_team_error": "Account {account} · key of {owner}: {reason}",
    "credit_low": "⚠️ <b>IPPanel credit is running low</b>\n"
    "Account: {account} · key of: {owner}\nCredit left: <b>{credit}</b> rials\n{estimate}\n"
    "Top up in the IPPanel panel. This alert is not repeated until credit is back above the threshold.",
    "credit_watch_auth": "⚠️ IPPanel refused your API key (revoked or expired); checking credit and "
    "sending with it is not possible. Set a new key with /token.",
    "credit_watch_error": "⚠️ The automatic IPPanel credit check failed: {reason}\n"
    "I keep trying and will not tell you again until it works. See the credit with /credit.",
    # screens: right-to-left layout, people's names, the delivery report, drafts
    "review_head": "<b>5. Review</b>\n",
    "report_line": "{operator}: {delivered} delivered · {failed} not delivered{more}",
    "report_pending": " · {n} pending",
    "report_blacklist": " · {n} blacklisted",
    "report_no_stats": "No operator statistics yet.",
    "op_mci": "MCI",
    "op_irancell": "Irancell",
    "op_rightel": "RighTel",
    "op_other": "Operator {name}",
    "drafts_page": "<b>Your drafts</b> (page {page} of {pages})",
    "btn_drafts_purge": "🗑 Delete all empty drafts ({n})",
    "drafts_purged": "{n} empty drafts deleted.",
    "drafts_purged_none": "There was no empty draft to delete.",
    "draft_delete_pending_ask": "This draft has a request waiting for approval (#{request}). "
    "Deleting the draft withdraws the request and closes the approvers' cards. Delete it?",
    "btn_draft_delete_yes": "🗑 Delete and withdraw the request",
    "btn_draft_delete_no": "Cancel",
    "draft_deleted_withdrawn": "Request #{request} withdrawn and the draft deleted.",
    "draft_delete_kept": "The draft was not deleted.",
    # test SMS to one's own phone
    "cmd_phone": "My number for test SMS",
    "btn_trial_send": "📱 Test on my phone · {price} rials",
    "btn_trial_send_noprice": "📱 Test on my phone",
    "trial_sending": "Sending the test SMS…",
    "trial_sent": "📱 <b>Test SMS sent</b> to {phone} from line {sender}.\n"
    "Outbox id: {outbox}\nTests left for this text: {left} of {limit}",
    "trial_failed": "❌ <b>Test SMS not sent</b>: {reason}\n"
    "Nothing went out and this try does not count. Fix the problem and tap again.",
    "trial_unknown": "⚠️ <b>Test SMS outcome unknown</b>: {reason}\n"
    "It may have arrived; check your phone. It is not sent again by itself and this try counts. "
    "Tests left for this text: {left} of {limit}",
    "trial_limit": "The {limit} test SMS for this text are used up. "
    "To test again, edit the text or the sender line.",
    "trial_invalid": "Test SMS not sent: {reason}",
    "trial_daily_cap": "Your {cap} test SMS for 24 hours are used up. Try again tomorrow.",
    "trial_in_flight": "⏳ Your previous test SMS is still on its way; nothing was sent again. "
    "Its result appears under the card.",
    "trial_duplicate": "⏳ An identical SMS was just sent and the panel refuses a duplicate "
    "for {seconds} more seconds. Nothing was sent and it does not count; wait {seconds} "
    "seconds and tap again.",
    "trial_phone_ask": "📱 For test SMS, send your own mobile number with the «{button}» button at the bottom. "
    "Telegram vouches that the number is yours; a typed number is not accepted.",
    "trial_phone_ask_for_trial": "📱 A test SMS goes to your own number, and you have not registered one yet. "
    "Tap «{button}» at the bottom, then tap «📱 Test» on the review card again.",
    "btn_trial_phone_share": "📱 Send my number",
    "btn_trial_phone_cancel": "❌ Cancel number registration",
    "trial_phone_saved": "✅ {phone} is registered for test SMS. See or forget it with /phone.",
    "trial_phone_forwarded": "A forwarded contact is not accepted, even with your own number. "
    "Do not forward it: tap the «{button}» button at the bottom so Telegram shares it directly.",
    "trial_phone_not_own": "That is not your own number, so it was not registered. Send only your own with the «{button}» button.",
    "trial_phone_not_mobile": "Only Iranian mobile numbers (09…) are accepted; this number was not registered.",
    "trial_phone_typed": "Typed numbers are not accepted, so the bot cannot be used to text other people. "
    "Tap the «{button}» button at the bottom.",
    "trial_phone_cancelled": "Number registration cancelled.",
    "trial_phone_shown": "📱 Your number for test SMS: {phone}",
    "btn_trial_phone_forget": "🗑 Forget it",
    "btn_trial_phone_change": "🔄 New number",
    "trial_phone_forgotten": "Your number is forgotten. No test SMS until you register again with /phone.",
    "trial_phone_none": "No number is registered.",
    "history_trials": "<b>Test SMS</b> (to your own phone only)",
    "history_trial_item": "🧪 Test · {state} · {when}\nTo {phone} · outbox: {outbox}",
    # approval rules
    "approvals_line": "👥 Approvals: {got} of {needed}{who}",
    "approvals_who": " ({names})",
    "approvals_sep": ", ",
    "approvals_rule_line": "\nRule: {rule}",
    "rule_recipients": "{n} or more recipients, {k} approvals",
    "rule_cost": "a cost of {n} rials or more, {k} approvals",
    "rule_cost_unknown": "the cost was unknown at submit, so the strictest cost rule applies "
    "({n} rials or more, {k} approvals)",
    "waiting_approvals": "⏳ Request #{no} was sent for approval ({n}). "
    "It needs {needed} approvals from different people; {rule}. Nothing is sent until then.",
    "too_few_approvers": "⛔️ This broadcast needs {needed} approvals from different people ({rule}), "
    "but only {n} approvers besides you are configured. Ask the bot's operator to change "
    "APPROVER_IDS or APPROVAL_RULES. The draft is kept.",
    "approval_you_approved": "✅ You approved; waiting for {n} more.",
    "approval_counted_toast": "Your approval is counted ({got} of {needed}). Nothing is sent yet.",
    "approval_repeat": "You already approved this request; each person counts once. "
    "Waiting for {n} more.",
    "approval_progress": "✅ {who} approved request #{no} ({got} of {needed}). "
    "Waiting for {n} more; nothing is sent until then.",
    # words: counted nouns (English agrees with the count; Persian does not inflect),
    # scheduled sends, cancels, "never mind" after a decision, plain provider errors
    "n_phonebook_one": "{n} phonebook",
    "n_phonebook_many": "{n} phonebooks",
    "n_recipient_one": "{n} recipient",
    "n_recipient_many": "{n} recipients",
    "n_contact_one": "{n} contact",
    "n_contact_many": "{n} contacts",
    "n_picked_one": "{n} picked contact",
    "n_picked_many": "{n} picked contacts",
    "n_approver_one": "{n} approver",
    "n_approver_many": "{n} approvers",
    "n_character_one": "{n} character",
    "n_character_many": "{n} characters",
    "n_broadcast_one": "{n} broadcast",
    "n_broadcast_many": "{n} broadcasts",
    "draft_ref": "the draft",
    "scheduled_ok": "🗓 Broadcast #{no} is scheduled for {when}.\nOutbox ids: {outbox}\n"
    "Until 5 minutes before then you can cancel it with “Cancel scheduled send”.",
    "reconciled_scheduled": "✅ Checked: broadcast #{no} is scheduled in IPPanel for {when}. Outbox ids: {outbox}",
    "state_scheduled": "scheduled",
    "reject_kept_decided": "You did not reject request #{no}; it had already been decided: {state}{by}.",
    "by_who": " (by {who})",
    "cancelled_by_other": "⛔️ Scheduled broadcast #{no} (for {when}) was cancelled by {who}; nothing will go out.",
    "cancel_already": "Broadcast #{no} was already cancelled{by}; nothing will go out.",
    "cancel_not_scheduled": "Broadcast #{no} was not scheduled and went out at once; there is nothing left to cancel.",
    "cancel_nothing": "Broadcast #{no} is “{state}”; there is nothing to cancel.",
    "left_no_draft": "You left the conversation.",
    "token_cancelled": "Setting the key was cancelled; no key was stored.",
    "key_expired_plain": "Your API key is invalid or expired. Set a new one with /token.",
    "provider_error_plain": "⚠️ {reason}.{detail}\nTry again shortly.",
    "provider_timeout_plain": "IPPanel did not answer. Try again shortly.",
    "pw_server": "IPPanel had an internal error",
    "pw_unreachable": "IPPanel could not be reached",
    "pw_bad_answer": "IPPanel gave an answer that could not be read",
    "pw_key": "IPPanel refused the API key (invalid or expired)",
    "pw_phonebook_missing": "a phonebook was not found in IPPanel",
    "pw_not_found": "IPPanel did not find what was asked for",
    "pw_not_cancellable": "IPPanel did not find this broadcast, or it can no longer be cancelled",
    "pw_no_credit": "the IPPanel account credit is not enough",
    # a broadcast's stored error, by its code
    "err_no_key": "there was no stored, usable API key (set one with /token)",
    "err_prepare_failed": "an internal error before the send; nothing was sent",
    "err_unexpected": "an unexpected error during the send; the outcome is unknown",
    "err_interrupted": "the send was cut off by a stop of the bot; the outcome is unknown",
    "err_confirmed_not_sent": "someone checked the panel's outbox: not sent",
    "err_legacy": "an error recorded before an update of the bot (details in the audit log)",
    "pw_invalid": "IPPanel refused the {field}",
    "pw_refused": "IPPanel refused the request",
    "pw_field_sender": "sender line",
    "pw_field_text": "message text",
    "pw_field_recipients": "recipients (phonebooks or picked contacts)",
    "pw_field_time": "send time",
    "pw_field_other": "value sent",
    "pw_detail": "\n<i>IPPanel said:</i> <code>{raw}</code>",
    # gradual sending
    "plan_when": "<b>Gradual sending</b> (Tehran time): {n} batches, every {every} minutes\n"
    "{batch} per batch (last batch {last_size}) · {total} in total\n"
    "First batch: {first}\nLast batch: {last}",
    "btn_plan": "🕒 Send gradually",
    "plan_menu": "<b>Gradual sending</b>\n"
    "The SMS goes out in batches to <b>one</b> phonebook (or one slice of it). Every batch is "
    "scheduled at IPPanel right away, and the whole plan is approved once.\n"
    "Batch size: <b>{batch}</b> · interval: <b>{every}</b>\n\n{plan}",
    "plan_unset": "not chosen",
    "plan_several": "⚠️ Gradual sending works on one phonebook or one slice of one phonebook. "
    "For several books, make one request per book: keep only one at the phonebooks step.",
    "plan_no_time": 'Choose the first batch\'s time at the time step; gradual sending has no "now".',
    "plan_too_many": "⚠️ That makes more than {max} batches; choose a larger batch size.",
    "plan_too_long": "⚠️ The last batch would be more than a year away; choose a shorter interval.",
    "plan_pick": "Choose a batch size and an interval with the buttons.",
    "plan_batch_n": "{n} recipients",
    "plan_every_n": "every {n} minutes",
    "plan_minutes": "{n} min",
    "btn_plan_batch_typed": "✍️ Other size",
    "btn_plan_every_typed": "✍️ Other interval",
    "btn_plan_done": "↩️ Back to review",
    "btn_plan_time": "⏱ First batch's time",
    "plan_blocked": "⚠️ Gradual sending is chosen but no plan can be made: {why}\n"
    "Change the time or tap “Send all at once”; until then it cannot be submitted.\n",
    "btn_plan_off": "✖️ Send all at once",
    "plan_ask_batch": "Type the batch size: a number from {min} to {max}.",
    "plan_ask_every": "Type the interval in minutes: a number from {min} to {max}.",
    "plan_bad_number": "⚠️ That number is not accepted. Type a number from {min} to {max}; the draft is unchanged.",
    "plan_posted": "✅ Gradual plan {ref}: all {n} batches are scheduled at IPPanel.\n{progress}",
    "plan_stopped": "⚠️ Gradual plan {ref} stopped at batch {at}. {why}\n"
    "The earlier batches stand; the later ones are not posted until someone has checked the IPPanel panel.\n{progress}",
    "plan_why_unknown": "This batch's outcome is unknown (it may have gone out).",
    "plan_why_failed": "IPPanel refused this batch: {reason}",
    "plan_why_other": "This batch is not sent ({state}).",
    "plan_why_settled": "This batch is now {state}; “Continue the plan” sends the rest.",
    "plan_late": "⚠️ Gradual plan {ref}: batch {at}'s time has passed or is less than a minute away; "
    'it and the later batches were not posted (nothing is sent "now" instead). '
    "“Continue from now” shows new times and posts them once you confirm.\n{progress}",
    "plan_halted": "Gradual plan {ref} was stopped by an admin.\n{progress}",
    "plan_busy": "Gradual plan {ref} is being posted right now.",
    "plan_progress": "Batches: {total} · scheduled: {scheduled} · gone out: {sent} · failed: {failed} · "
    "unknown: {unknown} · cancelled: {cancelled} · not posted: {unposted}",
    "plan_batch_line": "{no}. {when} · rows {first}–{last} · {state}",
    "plan_more": "… and {n} more batches",
    "plan_state_scheduled": "scheduled",
    "plan_state_gone": "gone out",
    "plan_state_unposted": "not posted",
    "btn_plan_refresh": "🔄 Plan progress",
    "btn_plan_cancel": "⛔️ Cancel the remaining batches",
    "btn_plan_continue": "▶️ Continue the plan (I checked the panel)",
    "plan_cancel_done": "⛔️ Gradual plan {ref} was cancelled; no batch of it is sent any more.\n"
    "Cancelled: {cancelled}\n"
    "Not cancelled (under 5 minutes left, or IPPanel refused): {refused}\n"
    "Refused by IPPanel, not sent: {failed}\n"
    "Unknown (check the panel): {unknown}\n"
    "Not posted (will never be sent now): {unposted}",
    "plan_gone": "This plan was not found or is not yours.",
    "history_plan": "{ref} · gradual · send time: {when}\n{progress}",
    "history_plan_span": "{first} to {last}",
    # lifecycle: batch cards, continue, continue from now, refusals
    "batch_ref": "batch {no} of {ref} (rows {first}–{last}, {when})",
    "batch_size_line": "\nRecipients of this batch: {n}{cost}",
    "batch_cost": " · estimated cost of this batch: {cost} rials",
    "batch_scheduled_ok": "🗓 {batch} is scheduled at IPPanel.{size}\nOutbox ids: {outbox}",
    "batch_failed": "❌ {batch} was not sent: {reason}{size}",
    "batch_unknown": "⚠️ The outcome of {batch} is unknown (it may have gone out): {reason}{size}",
    "batch_reconciled_sent": "✅ {batch} was found at IPPanel and is scheduled.\nOutbox ids: {outbox}",
    "batch_cancel_ok": "⛔️ {batch} was cancelled and will not go out. The rest of the plan is as it was:\n{progress}",
    "btn_batch_cancel": "⛔️ Cancel batch {no}",
    "btn_batch_retry": "🔄 Retry batch {no}",
    "plan_refused_halted": "⛔️ Gradual plan {ref} was cancelled; no batch of it is sent any more. "
    "Nothing was sent.",
    "send_refused_approvals_lost": "⛔️ The approval of {ref} no longer suffices: who approved it is no "
    "longer an approver. Nothing was sent; send a new request for the remaining rows.",
    "send_refused_requester_removed": "⛔️ The requester of {ref} is no longer an admin; nothing was sent.",
    "plan_first_retry": "To continue plan {ref}, first send batch {at} again, which IPPanel refused "
    "(it is paid again); then press “Continue the plan”.",
    "plan_first_check": "To continue plan {ref}, first batch {at}'s outcome must be known: check its "
    "status, or if the panel shows it did not go out, press “not sent” and send it again; then “Continue the plan”.",
    "plan_nothing_left": "Plan {ref} has no batch left to continue.",
    "plan_continuing": "⏳ Gradual plan {ref} continues: the remaining batches are being posted to IPPanel "
    "one by one; both admins will be told the result.",
    "btn_plan_from_now": "⏩ Continue from now (new times)",
    "plan_from_now_ask": "New times of plan {ref}'s remaining batches (same spacing, Tehran time):\n{lines}\n"
    "Confirm to post them at these times.",
    "plan_from_now_line": "{no}. {when} · rows {first}–{last}",
    "btn_plan_from_now_ok": "✅ Confirm the new times",
    "plan_cancelled_card": "⛔️ Gradual plan {ref} was cancelled; no batch of it is sent any more.\n{progress}",
    "plan_state_failed": "failed",
    "plan_state_unknown": "unknown",
    "plan_state_cancelled": "cancelled",
}

CATALOGUES = {"fa": FA, "en": EN}
LANGUAGES = tuple(CATALOGUES)


def plural_key(noun: str, n: int | float) -> str:
    """The catalogue key of ``n`` ``noun``s: English says "1 phonebook", "2 phonebooks"."""
    return f"n_{noun}_{'one' if n == 1 else 'many'}"


def t(lang: str, key: str, /, **values: object) -> str:
    """The text for ``key`` in ``lang`` (Persian when unknown), filled with ``values``."""
    template = CATALOGUES.get(lang, FA).get(key) or FA[key]
    return template.format(**values) if values else template
