def handler(db, call_id, current_user, request_payload_with_a_long_name, another_argument):
    # a comment that is rather long, so that the context line around the finding goes well past eighty columns of text
    result = some_function_with_a_long_name(request_payload_with_a_long_name, another_argument, db.delete("calls", {"id": call_id}))
    return result


def short(db, call_id):
    return db.select("calls", {"id": call_id})


def wide(db, call_id):
    label = "通話の記録を取得します"; rows = db.select("calls", {"id": call_id}); return rows


def tabbed(db, call_id):
	return some_other_function_with_a_rather_long_name(first_argument, second_argument, db.update("calls", {"id": call_id}, {"x": 1}))
