"""The SMS sender interface and its development and test backends."""

from accounts import sms


def test_console_backend_prints_a_masked_number(capsys, settings):
    settings.SMS_BACKEND = "accounts.sms.ConsoleSmsBackend"
    sms.send_sms("+8613912345678", "您的心愿已受理")
    out = capsys.readouterr().out
    assert "您的心愿已受理" in out and "+86****5678" in out and "13912345678" not in out


def test_locmem_backend_keeps_messages(settings):
    settings.SMS_BACKEND = "accounts.sms.LocmemSmsBackend"
    sms.outbox.clear()
    sms.send_sms("+8613800000000", "hello")
    assert sms.outbox == [sms.TextMessage(to="+8613800000000", body="hello")]
    sms.outbox.clear()
